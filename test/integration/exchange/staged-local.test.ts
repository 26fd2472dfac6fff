import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compileStages } from '../../../lib/core/engine/compile-stages';
import type { Stream } from '../../../lib/core/pipeline/stream';
import { StagedLocalDriver } from '../../../lib/runtime/local-driver/staged-local-driver';
import topKGlobal from '../../../examples/top-k-global';
import wordCountGlobal from '../../../examples/word-count-global';
import { FakeClock } from '../../helpers/fake-clock';
import { countOf, TimedShardsSource, timedCorpus } from '../../helpers/timed-shards-source';
import { expectTop10, windowEnds } from '../../helpers/top-k-reference';

const START_MS = Date.UTC(2026, 0, 1, 0, 0, 0, 300);

interface Printed {
  readonly app: string;
  readonly items: readonly unknown[];
}

async function runStaged(
  stream: Stream<unknown>,
  lines: ReturnType<typeof timedCorpus>,
  shards: number,
  lagMs: readonly number[] = [],
): Promise<{ printed: Printed[]; stoppedBy: string; checkpoints: MemoryCheckpointStore; objects: MemoryObjectStore }> {
  const clock = new FakeClock({ startMs: START_MS, autoAdvance: true });
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const printed: Printed[] = [];
  const staged = compileStages(stream);
  const driver = new StagedLocalDriver({
    app: staged.name,
    staged,
    source: new TimedShardsSource(lines, shards, clock, lagMs),
    checkpoints,
    objects,
    clock,
    batchIntervalMs: 500,
    output: { print: (info, _id, items) => void printed.push({ app: info.app, items: [...items] }) },
  });
  const result = await driver.run();
  return { printed, stoppedBy: result.stoppedBy, checkpoints, objects };
}

describe('a pipeline with exchanges, local mode, 4 shards', () => {
  it('word-count-global prints the top 10 of the whole stream, equal to a reference over the whole input', async () => {
    const lines = timedCorpus(3_000, 4, START_MS, 12_000);
    for (let s = 0; s < 4; s++) expect(lines.some((l) => l.shard === s)).toBe(true);
    const { printed, stoppedBy } = await runStaged(wordCountGlobal as Stream<unknown>, lines, 4);
    expect(stoppedBy).toBe('drained');
    const last = printed.filter((p) => p.app === 'word-count-global.s2').at(-1)!;
    expectTop10(last.items as Array<[string, number]>, countOf(lines));
    // Each word was on several source shards: a per-shard count would not be the answer.
    const perShard = countOf(lines.filter((l) => l.shard === 0));
    expect(perShard.get((last.items[0] as [string, number])[0])).toBeLessThan((last.items[0] as [string, number])[1]);
  });

  it.each([
    ['shards read in step', []],
    ['one shard read 3 s behind the others, another 1.2 s', [0, 3_000, 0, 1_200]],
  ])('top-k-global prints one top 10 per 5 s window, each equal to a reference over the whole input (%s)', async (_, lagMs: number[]) => {
    const lines = timedCorpus(4_000, 4, START_MS, 14_000, 11);
    const { printed, stoppedBy } = await runStaged(topKGlobal as Stream<unknown>, lines, 4, lagMs);
    expect(stoppedBy).toBe('drained');
    const windows = printed
      .filter((p) => p.app === 'top-k-global.s2')
      .flatMap((p) => p.items as Array<{ startMs: number; endMs: number; top: Array<[string, number]> }>);
    // Reference: every 1 s-aligned 5 s window holding data.
    const first = Math.floor(START_MS / 1_000) * 1_000 + 1_000;
    const lastArrival = lines[lines.length - 1]!.arrivalMs;
    const expectedEnds = windowEnds(first, lastArrival);
    expect(windows.map((w) => w.endMs)).toEqual(expectedEnds);
    for (const w of windows) {
      expect(w.startMs).toBe(w.endMs - 5_000);
      expectTop10(w.top, countOf(lines.filter((l) => l.arrivalMs >= w.startMs && l.arrivalMs < w.endMs)));
    }
  });

  it('top-k-global closes every window when one of the 4 shards never gets a record (it ticks from its start)', async () => {
    const lines = timedCorpus(3_000, 3, START_MS, 10_000, 13);
    const { printed, stoppedBy, checkpoints } = await runStaged(topKGlobal as Stream<unknown>, lines, 4);
    expect(stoppedBy).toBe('drained');
    const windows = printed
      .filter((p) => p.app === 'top-k-global.s2')
      .flatMap((p) => p.items as Array<{ startMs: number; endMs: number; top: Array<[string, number]> }>);
    expect(windows.map((w) => w.endMs)).toEqual(windowEnds(Math.floor(START_MS / 1_000) * 1_000 + 1_000, lines[lines.length - 1]!.arrivalMs));
    for (const w of windows) expectTop10(w.top, countOf(lines.filter((l) => l.arrivalMs >= w.startMs && l.arrivalMs < w.endMs)));
    // The empty shard's checkpoint: no offset, its end sent.
    const empty = await checkpoints.get('top-k-global#shard-3', 'meta#checkpoint');
    expect(JSON.parse(empty!.data)).toMatchObject({ committedSeq: null, exchange: { ended: true } });
  });
});
