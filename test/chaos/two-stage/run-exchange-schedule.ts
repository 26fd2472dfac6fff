import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compileStages, stageApp, type StagedPipeline } from '../../../lib/core/engine/compile-stages';
import type { BatchInfo } from '../../../lib/core/pipeline/op-spec';
import { pipeline } from '../../../lib/core/pipeline/stream';
import type { SourceRecord } from '../../../lib/core/source-record';
import type { Windowed } from '../../../lib/core/window/windowed';
import type { CheckpointStore } from '../../../lib/ports/checkpoint-store';
import type { ExchangeWriter } from '../../../lib/ports/exchange';
import type { ObjectStore } from '../../../lib/ports/object-store';
import type { Source } from '../../../lib/ports/source';
import { parseRecord, type CheckpointRecord } from '../../../lib/runtime/protocol/checkpoint-record';
import { ObjectStoreExchange } from '../../../lib/runtime/local-driver/object-store-exchange';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { readMergedState } from '../../../lib/runtime/protocol/read-merged-state';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { FakeClock } from '../../helpers/fake-clock';
import { seededRandom } from '../../helpers/run-cli';

/**
 * Chaos for pipelines with exchanges (docs/decisions/0015), in memory: a three-stage pipeline —
 * words keyed to 1-4 partitions, tumbling windows per word there (by arrival time, or in odd
 * schedules by an out-of-order event time the sending stage computes), every window's counts sent to
 * one global owner that keeps the totals — run by random invocations of every stage's shards with
 * crashes at any store or exchange call (before or after the call takes effect), concurrent
 * invocations of one shard, redeliveries, exchange puts that land twice and out of order, and
 * zombies re-putting old batches' chunks long after. Then a fault-free drain, and the oracle:
 *
 * - every record's marker word is in the global totals exactly once, every word with its exact count;
 * - the windows the sink kept (idempotent per batch id) are exactly the windows of the whole input,
 *   each (window, word) once, with its exact count — the windows of a one-shard stream.
 */
export interface ExchangeScheduleReport {
  readonly index: number;
  readonly records: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly crashes: number;
  readonly duplicatePuts: number;
  readonly zombiePuts: number;
  readonly concurrent: number;
  readonly invocations: number;
  readonly violations: string[];
  /** `endMs|word|count` of every window emitted, sorted: to compare with the fault-free run. */
  readonly windows: string[];
}

const WINDOW_MS = 1_000;
const START_MS = 1_700_000_000_000;

class Crash extends Error {
  constructor() {
    super('injected crash');
  }
}

interface WindowLog {
  readonly batches: Map<string, string[]>;
  readonly conflicts: string[];
}

/**
 * How far before its arrival a word happened, in the schedules with event-time windows: up to
 * `OUT_OF_ORDER_MS`, so event times are out of order, each within that of every earlier one.
 */
const OUT_OF_ORDER_MS = 300;
function eventOffsetMs(word: string): number {
  let h = 7;
  for (let i = 0; i < word.length; i++) h = (h * 31 + word.charCodeAt(i)) % 100_003;
  return h % OUT_OF_ORDER_MS;
}

/** Odd schedules window by event time (computed on the sending side), even ones by arrival time. */
function usesEventTime(index: number): boolean {
  return index % 2 === 1;
}

function exchangePipeline(partitions: number, log: WindowLog, eventTime: boolean): StagedPipeline {
  const sink = (items: unknown[], info: BatchInfo): void => {
    const rows = (items as Array<Windowed<Array<[string, number]>>>).flatMap((w) => w.value.map(([k, n]) => `${w.endMs}|${k}|${n}`)).sort();
    const seen = log.batches.get(info.batchId);
    if (seen === undefined) log.batches.set(info.batchId, rows);
    else if (seen.join(',') !== rows.join(',')) log.conflicts.push(info.batchId);
  };
  return compileStages(
    pipeline('chaos-exchange')
      .flatMap((line: string) => line.split(' '))
      .filter((w) => w.length > 0)
      .map((w) => [w, 1] as [string, number])
      .keyBy(undefined, { partitions })
      .reduceByKeyAndWindow(
        (a, b) => a + b,
        eventTime
          ? { name: 'windows', windowMs: WINDOW_MS, eventTime: ([w], arrivalMs) => arrivalMs - eventOffsetMs(w), maxOutOfOrdernessMs: OUT_OF_ORDER_MS }
          : { name: 'windows', windowMs: WINDOW_MS },
      )
      .foreachBatch(sink)
      .flatMap((w) => w.value)
      .global()
      .updateStateByKey<string, number, number>((ns, total = 0) => ns.reduce((a, b) => a + b, total), { name: 'totals' }) as never,
  );
}

interface ShardLines {
  readonly records: SourceRecord[];
}

const encoder = new TextEncoder();

function drawInput(random: () => number, index: number): { shards: ShardLines[]; lines: Array<{ line: string; arrivalMs: number }> } {
  const shardCount = 1 + Math.floor(random() * 4);
  const vocabulary = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const lines: Array<{ line: string; arrivalMs: number }> = [];
  const shards: ShardLines[] = Array.from({ length: shardCount }, (_, s) => {
    const n = 3 + Math.floor(random() * 40);
    let t = START_MS + Math.floor(random() * 800);
    const records: SourceRecord[] = [];
    for (let i = 0; i < n; i++) {
      t += Math.floor(random() * 250);
      const words = Array.from({ length: 1 + Math.floor(random() * 4) }, () => vocabulary[Math.floor(random() * vocabulary.length)]!);
      // A marker word of its own: the record is counted exactly once iff its marker's total is 1.
      const line = [...words, `m${index}s${s}r${i}`].join(' ');
      lines.push({ line, arrivalMs: t });
      records.push({ seq: String(i + 1), arrivalMs: t, partitionKey: `k${i}`, data: encoder.encode(line) });
    }
    return { records };
  });
  return { shards, lines };
}

class ArraySource implements Source {
  readonly id = 'chaos-exchange-source';
  constructor(readonly shards: readonly ShardLines[]) {}
  async listShards() {
    return this.shards.map((_, s) => ({ shardId: `shard-${s}`, parentShardIds: [] }));
  }
  async read(shardId: string, afterSeq: string | undefined, maxRecords: number) {
    const records = this.shards[Number(shardId.slice(6))]!.records;
    const from = afterSeq === undefined ? 0 : Number(afterSeq);
    const out = records.slice(from, from + maxRecords);
    return { records: out, endOfShard: false, endOfData: from + out.length >= records.length };
  }
}

/** Counts calls of one invocation and crashes at the chosen one, before or after it takes effect. */
class CrashPlan {
  calls = 0;
  constructor(
    readonly crashAt: number | undefined,
    readonly afterEffect: boolean,
  ) {}
  async around<T>(call: () => Promise<T>): Promise<T> {
    const n = ++this.calls;
    if (n === this.crashAt && !this.afterEffect) throw new Crash();
    const out = await call();
    if (n === this.crashAt) throw new Crash();
    return out;
  }
}

/** Runs one schedule with faults (or none), and checks it. */
export async function runExchangeSchedule(seed: number, index: number, faults = true): Promise<ExchangeScheduleReport> {
  const random = seededRandom((seed * 1_000_003) ^ index);
  const { shards, lines } = drawInput(random, index);
  const partitions = 1 + Math.floor(random() * 4);
  // Small chunks in most schedules: a batch then sends several per partition, and retries reorder them.
  const chunkBytes = random() < 0.7 ? 10 + Math.floor(random() * 80) : undefined;
  const log: WindowLog = { batches: new Map(), conflicts: [] };
  const eventTime = usesEventTime(index);
  const staged = exchangePipeline(partitions, log, eventTime);
  const clock = new FakeClock({ startMs: START_MS });
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const source = new ArraySource(shards);
  const exchanges = staged.stages
    .slice(0, -1)
    .map(
      (stage, s) =>
        new ObjectStoreExchange({ objects, stageApp: stageApp(staged.name, s + 1), partitions: stage.sends!.partitions, nowMs: () => clock.nowMs() }),
    );
  const sourceShards = (await source.listShards()).map((s) => s.shardId);
  const shardsOf = async (s: number): Promise<string[]> => (s === 0 ? sourceShards : (await exchanges[s - 1]!.listShards()).map((x) => x.shardId));
  const originsOf = async (s: number): Promise<string[]> => shardsOf(s - 1);
  const stats = { crashes: 0, duplicatePuts: 0, zombiePuts: 0, concurrent: 0, invocations: 0 };
  const violations: string[] = [];
  /** Every chunk put so far, per exchange and partition: zombies re-put some of them later. */
  const sent: Array<Array<[number, Uint8Array[]]>> = exchanges.map(() => []);

  const invoke = async (s: number, shardId: string, plan: CrashPlan, redeliver: boolean, maxRecords: number): Promise<void> => {
    stats.invocations++;
    const wrapStore: CheckpointStore = {
      get: (pk, sk) => plan.around(() => checkpoints.get(pk, sk)),
      query: (pk, prefix) => plan.around(() => checkpoints.query(pk, prefix)),
      transact: (writes) => plan.around(() => checkpoints.transact(writes)),
    };
    const wrapObjects: ObjectStore = {
      putIfAbsent: (k, b) => plan.around(() => objects.putIfAbsent(k, b)),
      get: (k) => plan.around(() => objects.get(k)),
      getRange: (k, a, b) => plan.around(() => objects.getRange(k, a, b)),
      list: (p) => plan.around(() => objects.list(p)),
      delete: (k) => plan.around(() => objects.delete(k)),
    };
    const stage = staged.stages[s]!;
    const writer: ExchangeWriter | undefined =
      stage.sends === undefined
        ? undefined
        : {
            put: async (p, records) => {
              // Kinesis retries: entries land out of order, some twice.
              const order = faults ? [...records].sort(() => random() - 0.5) : [...records];
              for (const r of order) {
                await plan.around(() => exchanges[s]!.put(p, [r]));
                if (faults && random() < 0.15) {
                  stats.duplicatePuts++;
                  await exchanges[s]!.put(p, [r]);
                }
              }
              sent[s]!.push([p, [...records]]);
            },
          };
    const processor = new MicroBatchProcessor({
      app: stageApp(staged.name, s),
      pipeline: stage,
      checkpoints: wrapStore,
      objects: wrapObjects,
      clock,
      exchangeWriter: writer,
      exchangeOrigins: s === 0 ? undefined : await originsOf(s),
      exchangeChunkBytes: chunkBytes,
    });
    const item = await checkpoints.get(StorageKeys.shardPartition(stageApp(staged.name, s), shardId), StorageKeys.CHECKPOINT_SK);
    const committed = item === undefined ? undefined : (parseRecord<CheckpointRecord>(item.sk, item.data).committedSeq ?? undefined);
    const from = redeliver && committed !== undefined ? String(Math.max(0, Number(committed) - 1 - Math.floor(random() * 5))) : committed;
    const read =
      s === 0
        ? await source.read(shardId, from === '0' ? undefined : from, maxRecords)
        : await exchanges[s - 1]!.read(shardId, from === '0' ? undefined : from, maxRecords);
    try {
      if (read.records.length > 0) await processor.process({ shardId, records: read.records });
      else if (s === 0 && read.endOfData) await processor.idleTick(shardId, clock.nowMs(), { endOfInput: true });
    } catch (error) {
      if (error instanceof Crash) stats.crashes++;
      else violations.push(`stage ${s} ${shardId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  };

  if (faults) {
    const steps = 40 + Math.floor(random() * 120);
    for (let step = 0; step < steps && violations.length === 0; step++) {
      await clock.advance(Math.floor(random() * 200));
      const s = Math.floor(random() * staged.stages.length);
      const shardIds = await shardsOf(s);
      const shardId = shardIds[Math.floor(random() * shardIds.length)]!;
      const crashPlan = (): CrashPlan => new CrashPlan(random() < 0.35 ? 1 + Math.floor(random() * 12) : undefined, random() < 0.5);
      const redeliver = random() < 0.2;
      const max = 1 + Math.floor(random() * 15);
      if (random() < 0.12) {
        // Two invocations of one shard at once: the fence lets one commit.
        stats.concurrent++;
        await Promise.all([invoke(s, shardId, crashPlan(), redeliver, max), invoke(s, shardId, crashPlan(), false, max)]);
      } else await invoke(s, shardId, crashPlan(), redeliver, max);
      if (random() < 0.1) {
        // A zombie wakes up and re-puts part of an old batch's chunks.
        const e = Math.floor(random() * exchanges.length);
        const old = sent[e]!;
        if (old.length > 0) {
          const [p, records] = old[Math.floor(random() * old.length)]!;
          const part = records.slice(Math.floor(random() * records.length));
          stats.zombiePuts += part.length;
          await exchanges[e]!.put(p, part);
        }
      }
    }
  }

  // Drain without faults: every stage, in order, until nothing moves.
  for (let round = 0; round < 500 && violations.length === 0; round++) {
    await clock.advance(100);
    let moved = false;
    for (let s = 0; s < staged.stages.length; s++) {
      for (const shardId of await shardsOf(s)) {
        const before = stats.invocations;
        const app = stageApp(staged.name, s);
        const key = StorageKeys.shardPartition(app, shardId);
        const prior = (await checkpoints.get(key, StorageKeys.CHECKPOINT_SK))?.version;
        await invoke(s, shardId, new CrashPlan(undefined, false), false, 50);
        const after = (await checkpoints.get(key, StorageKeys.CHECKPOINT_SK))?.version;
        if (after !== prior) moved = true;
        stats.invocations = before + 1;
      }
    }
    if (!moved) break;
  }

  // The oracle.
  const expected = new Map<string, number>();
  for (const { line } of lines) for (const w of line.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  let totals = new Map<unknown, unknown>();
  try {
    totals = await readMergedState(checkpoints, objects, stageApp(staged.name, 2), staged.stages[2]!, 'totals');
  } catch (error) {
    violations.push(`totals do not read back: ${(error as Error).message}`);
  }
  for (const [w, n] of expected) {
    const got = (totals.get(w) as number | undefined) ?? 0;
    if (w.startsWith('m')) {
      if (got === 0) lost++;
      if (got > 1) duplicated++;
    } else if (got !== n) violations.push(`word ${w}: total ${got}, expected ${n}`);
  }
  for (const [w] of totals) if (!expected.has(w as string)) violations.push(`word ${String(w)} was never sent`);
  const windows = [...log.batches.values()].flat().sort();
  const reference = new Map<string, number>();
  for (const { line, arrivalMs } of lines) {
    for (const w of line.split(' ')) {
      const t = eventTime ? arrivalMs - eventOffsetMs(w) : arrivalMs;
      const end = Math.floor(t / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
      reference.set(`${end}|${w}`, (reference.get(`${end}|${w}`) ?? 0) + 1);
    }
  }
  const expectedWindows = [...reference].map(([k, n]) => `${k}|${n}`).sort();
  if (windows.join('\n') !== expectedWindows.join('\n')) {
    const got = new Set(windows);
    const want = new Set(expectedWindows);
    violations.push(
      `windows differ from the whole input's: missing ${expectedWindows
        .filter((x) => !got.has(x))
        .slice(0, 3)
        .join(', ')}; extra ${windows
        .filter((x) => !want.has(x))
        .slice(0, 3)
        .join(', ')} (${windows.length} vs ${expectedWindows.length})`,
    );
  }
  if (log.conflicts.length > 0) violations.push(`a batch re-run emitted other windows: ${log.conflicts.slice(0, 3).join(', ')}`);
  return { index, records: lines.length, lost, duplicated, ...stats, violations, windows };
}

/** Runs schedules `indexes` of `seed`, each with faults and again without, and sums them. */
export async function runExchangeChaos(
  seed: number,
  indexes: readonly number[],
  onProgress?: (done: number, total: number) => void,
): Promise<{
  describe: () => string;
  failed: ExchangeScheduleReport[];
  lost: number;
  duplicated: number;
  schedules: number;
  crashes: number;
  duplicatePuts: number;
  zombiePuts: number;
  concurrent: number;
}> {
  const totals = { schedules: 0, records: 0, lost: 0, duplicated: 0, crashes: 0, duplicatePuts: 0, zombiePuts: 0, concurrent: 0, invocations: 0 };
  const failed: ExchangeScheduleReport[] = [];
  for (const index of indexes) {
    const report = await runExchangeSchedule(seed, index, true);
    const clean = await runExchangeSchedule(seed, index, false);
    if (clean.windows.join('\n') !== report.windows.join('\n')) report.violations.push('windows differ from the fault-free run of the same schedule');
    if (clean.violations.length > 0) report.violations.push(...clean.violations.map((v) => `fault-free run: ${v}`));
    totals.schedules++;
    totals.records += report.records;
    totals.lost += report.lost;
    totals.duplicated += report.duplicated;
    totals.crashes += report.crashes;
    totals.duplicatePuts += report.duplicatePuts;
    totals.zombiePuts += report.zombiePuts;
    totals.concurrent += report.concurrent;
    totals.invocations += report.invocations;
    if (report.violations.length > 0 || report.lost > 0 || report.duplicated > 0) failed.push(report);
    onProgress?.(totals.schedules, indexes.length);
  }
  const n = (x: number): string => x.toLocaleString('en-US');
  return {
    ...totals,
    failed,
    describe: () =>
      [
        `chaos: seed ${seed}, memory, three stages (keyBy → tumbling windows, by arrival or event time → global totals)`,
        `  records checked  ${n(totals.records)}; invocations ${n(totals.invocations)} (${n(totals.concurrent)} pairs at once)`,
        `  faults           crashes ${n(totals.crashes)}, exchange puts landed twice ${n(totals.duplicatePuts)}, zombie re-puts ${n(totals.zombiePuts)}`,
        ...failed
          .slice(0, 10)
          .flatMap((f) => [`  FAILED schedule ${f.index} (replay with --exchange --only ${f.index}):`, ...f.violations.slice(0, 6).map((v) => `    ${v}`)]),
        `${totals.schedules} schedules, ${n(totals.crashes + totals.duplicatePuts + totals.zombiePuts)} faults injected, ${totals.lost} lost, ${totals.duplicated} duplicated, windows ${failed.some((f) => f.violations.some((v) => v.includes('windows'))) ? 'DIFFER' : 'identical to the fault-free run'}`,
      ].join('\n'),
  };
}
