import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLocalStores } from '../../../lib/compose/open-local-app';
import { compileStages, stageApp } from '../../../lib/core/engine/compile-stages';
import { readMergedState } from '../../../lib/runtime/protocol/read-merged-state';
import wordCountGlobal from '../../../examples/word-count-global';
import type { Stream } from '../../../lib/core/pipeline/stream';
import { runCli, seededRandom, startCli } from '../../helpers/run-cli';
import { countOf, timedCorpus } from '../../helpers/timed-shards-source';

const PIPELINE = join(import.meta.dirname, '../../../examples/word-count-global.ts');

describe('sluice run, a pipeline with exchanges, killed with kill -9', () => {
  it('word-count-global on a 4-shard file: totals exactly once per word, each word owned by one partition, the global top 10', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-staged-'));
    const lines = timedCorpus(4_000, 1, 0, 1, 3);
    const file = join(dir, 'words.txt');
    writeFileSync(file, lines.map((l) => l.line).join('\n') + '\n');
    const args = [
      'run',
      '--pipeline',
      PIPELINE,
      '--source',
      `file:${file}`,
      '--shards',
      '4',
      '--checkpoint-dir',
      join(dir, 'ck'),
      '--batch-interval',
      '20',
      '--max-rate',
      '300',
      '--no-backpressure',
    ];
    const random = seededRandom(12);
    // Act: kill -9 three times at random moments once the run is under way, then run to the end.
    for (let kill = 0; kill < 3; kill++) {
      const child = startCli(args);
      const ended = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_c, signal) => resolve(signal)));
      await new Promise((r) => setTimeout(r, 1_500 + Math.floor(random() * 1_500)));
      child.kill('SIGKILL');
      expect(await ended).toBe('SIGKILL');
    }
    const last = await runCli(args);
    expect(last.stderr).toBe('');
    expect(last.code).toBe(0);
    // The kills landed mid-run: the last run still had records of the file to commit.
    const committed = Number(/stopped \(drained\): ([\d,]+) records/.exec(last.stdout)?.[1]?.replaceAll(',', ''));
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(4_000);

    // Assert: the state of every stage, read from the checkpoint directory.
    const staged = compileStages(wordCountGlobal as Stream<unknown>);
    const { checkpoints, objects } = openLocalStores(join(dir, 'ck'));
    try {
      const reference = countOf(lines);
      // No merge function: a word held by two partitions would be refused here.
      const totals = await readMergedState(checkpoints, objects, stageApp(staged.name, 1), staged.stages[1]!, 'totals');
      expect(new Map([...totals].map(([k, v]) => [k as string, v as number]))).toEqual(reference);
      const leaders = await readMergedState(checkpoints, objects, stageApp(staged.name, 2), staged.stages[2]!, 'leaders');
      const top = [...leaders]
        .map(([k, v]) => [k as string, v as number] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 10);
      expect(top.map(([, n]) => n)).toEqual([...reference.values()].sort((a, b) => b - a).slice(0, 10));
      for (const [w, n] of top) expect(reference.get(w)).toBe(n);
    } finally {
      await checkpoints.close();
    }
  }, 120_000);
});
