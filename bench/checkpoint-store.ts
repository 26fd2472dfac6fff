import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteCheckpointStore } from '../lib/adapters/local/sqlite-checkpoint-store';
import type { CheckpointStore, TransactWrite } from '../lib/ports/checkpoint-store';

type Opener = (file: string) => CheckpointStore & { close(): Promise<void> };

/**
 * The local checkpoint store on `node:sqlite` (what sluice uses) against the same store on
 * better-sqlite3 (the baseline, bench/better-sqlite3-checkpoint-store.ts), in one process, same
 * file system, same settings (WAL, synchronous=FULL). A commit is what a batch of the word count
 * commits: the checkpoint and `--buckets` state buckets of about 4 KB, each conditioned on its
 * version, in one transaction. Then a cold start's read: the checkpoint and a query of the state.
 * Rounds alternate the two stores; ratios are node:sqlite / better-sqlite3, medians over rounds
 * (above 1: node:sqlite is faster). Also the cost of loading each module in a new process.
 *
 * The baseline needs better-sqlite3, no longer a dependency: `npm install --no-save better-sqlite3@12`.
 * Without it, the bench measures node:sqlite alone.
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { commits: { type: 'string', default: '300' }, buckets: { type: 'string', default: '8' }, rounds: { type: 'string', default: '5' } },
  });
  const commits = Number(values.commits);
  const buckets = Number(values.buckets);
  const rounds = Number(values.rounds);
  const stores: Array<{ name: string; open: Opener }> = [{ name: 'node:sqlite', open: (file) => SqliteCheckpointStore.open(file) }];
  const baseline = await loadBaseline();
  if (baseline === undefined) console.log('better-sqlite3 is not installed (npm install --no-save better-sqlite3@12): measuring node:sqlite alone');
  else stores.push({ name: 'better-sqlite3', open: baseline });

  const results = new Map<string, { commitsPerSec: number[]; readsPerSec: number[] }>(stores.map((s) => [s.name, { commitsPerSec: [], readsPerSec: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const store of round % 2 === 0 ? stores : [...stores].reverse()) {
      const r = await measure(store.open, commits, buckets);
      results.get(store.name)!.commitsPerSec.push(r.commitsPerSec);
      results.get(store.name)!.readsPerSec.push(r.readsPerSec);
    }
  }
  console.log(
    `checkpoint-store bench: ${commits} commits of 1 checkpoint + ${buckets} buckets (~4 KB each), then ${READS} cold reads; ${rounds} rounds, ${process.version}`,
  );
  const imports = importCosts(stores.map((s) => s.name));
  for (const s of stores) {
    const r = results.get(s.name)!;
    console.log(
      `  ${s.name.padEnd(15)} ${fmt(median(r.commitsPerSec))} commits/s   ${fmt(median(r.readsPerSec))} reads/s   load ${imports.get(s.name)!.toFixed(1)} ms (median of 15 new processes, minus node -e 0's)`,
    );
  }
  if (baseline !== undefined) {
    const ratio = (key: 'commitsPerSec' | 'readsPerSec'): string =>
      median(results.get('node:sqlite')![key].map((v, i) => v / results.get('better-sqlite3')![key][i]!)).toFixed(3);
    console.log(`ratio commits ${ratio('commitsPerSec')}, reads ${ratio('readsPerSec')} (node:sqlite / better-sqlite3 throughput, median of ${rounds} rounds)`);
  }
  return 0;
}

const READS = 200;

async function measure(open: Opener, commits: number, buckets: number): Promise<{ commitsPerSec: number; readsPerSec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-cp-'));
  try {
    const file = join(dir, 'checkpoint.sqlite');
    const store = open(file);
    const pk = 'word-count#shard-0';
    const bucket = (n: number, batch: number): string =>
      JSON.stringify(Array.from({ length: 120 }, (_, i) => [`word-${n}-${i}`, batch * i, 1_767_225_600_000 + batch]));
    let start = process.hrtime.bigint();
    for (let batch = 1; batch <= commits; batch++) {
      const cond = batch === 1 ? { absent: true as const } : { version: batch - 1 };
      const writes: TransactWrite[] = [
        {
          kind: 'put',
          item: { pk, sk: 'meta#checkpoint', version: batch, data: JSON.stringify({ batchNo: batch, committedSeq: String(batch * 100) }) },
          condition: cond,
        },
      ];
      for (let b = 0; b < buckets; b++)
        writes.push({ kind: 'put', item: { pk, sk: `state#totals#${String(b).padStart(3, '0')}`, version: batch, data: bucket(b, batch) }, condition: cond });
      await store.transact(writes);
    }
    const commitSeconds = seconds(start);
    await store.close();
    start = process.hrtime.bigint();
    for (let i = 0; i < READS; i++) {
      const reader = open(file);
      await reader.get(pk, 'meta#checkpoint');
      const state = await reader.query(pk, 'state#');
      if (state.length !== buckets) throw new Error(`read ${state.length} buckets, wrote ${buckets}`);
      await reader.close();
    }
    return { commitsPerSec: commits / commitSeconds, readsPerSec: READS / seconds(start) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function loadBaseline(): Promise<Opener | undefined> {
  try {
    createRequire(import.meta.url).resolve('better-sqlite3');
  } catch {
    return undefined;
  }
  const { BetterSqlite3CheckpointStore } = await import('./better-sqlite3-checkpoint-store');
  return (file) => BetterSqlite3CheckpointStore.open(file);
}

/**
 * Milliseconds a new Node process spends opening an in-memory database with each module, over a
 * bare `node -e 0`: runs interleave the bare start and every module, so load falls on all alike.
 */
function importCosts(modules: readonly string[]): Map<string, number> {
  const code = (module: string): string =>
    module === 'node:sqlite'
      ? "new (require('node:sqlite').DatabaseSync)(':memory:')"
      : `new (require(${JSON.stringify(createRequire(import.meta.url).resolve(module))}))(':memory:')`;
  const commands = [['bare', '0'] as const, ...modules.map((m) => [m, code(m)] as const)];
  const times = new Map<string, number[]>(commands.map(([name]) => [name, []]));
  for (let i = 0; i < 15; i++) {
    for (const [name, source] of commands) {
      const start = process.hrtime.bigint();
      const child = spawnSync(process.execPath, ['-e', source], { stdio: 'ignore' });
      if (child.status !== 0) throw new Error(`node -e ${source} exited ${child.status}`);
      times.get(name)!.push(seconds(start) * 1000);
    }
  }
  const bare = median(times.get('bare')!);
  return new Map(modules.map((m) => [m, median(times.get(m)!) - bare]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
