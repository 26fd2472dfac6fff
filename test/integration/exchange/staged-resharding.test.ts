import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compileStages, stageApp } from '../../../lib/core/engine/compile-stages';
import type { Stream } from '../../../lib/core/pipeline/stream';
import { StagedLocalDriver } from '../../../lib/runtime/local-driver/staged-local-driver';
import { readMergedState } from '../../../lib/runtime/protocol/read-merged-state';
import topKGlobal from '../../../examples/top-k-global';
import wordCountGlobal from '../../../examples/word-count-global';
import { FakeClock } from '../../helpers/fake-clock';
import { countOf, timedCorpus, type TimedLine } from '../../helpers/timed-shards-source';
import { ReshardingStream } from '../fault-tolerance/resharding-stream';
import { expectTop10, windowEnds } from '../../helpers/top-k-reference';

const START_MS = Date.UTC(2026, 0, 1, 0, 0, 0, 300);
const INTERVAL_MS = 500;
const encoder = new TextEncoder();

interface Printed {
  readonly app: string;
  readonly items: readonly unknown[];
}

/**
 * Runs a staged pipeline on a stream of 2 shards that splits shard 0 at `splitAtMs` and merges the
 * split's children at `mergeAtMs`: each round writes the lines that arrived by then, then runs one
 * round of every stage. Stage 0 reads at most 60 records/s per shard and most lines go to shard 0
 * ({@link hotKey}), so a parent still holds records when its children receive theirs, whose arrival
 * times are then older than shard 1's progress: a window after the exchange that closed without
 * waiting for the children would miss their records.
 */
async function runAcrossReshards(stream: Stream<unknown>, lines: readonly TimedLine[], splitAtMs: number, mergeAtMs: number) {
  const clock = new FakeClock({ startMs: START_MS });
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const source = new ReshardingStream(2);
  const printed: Printed[] = [];
  const staged = compileStages(stream);
  const driver = new StagedLocalDriver({
    app: staged.name,
    staged,
    source,
    checkpoints,
    objects,
    clock,
    batchIntervalMs: INTERVAL_MS,
    maxRatePerShard: 60,
    output: { print: (info, _id, items) => void printed.push({ app: info.app, items: [...items] }) },
  });
  await driver.open();
  let written = 0;
  let children: string[] = [];
  let merged: string | undefined;
  let drained = false;
  for (let round = 0; round < 400 && !drained; round++) {
    const now = clock.nowMs();
    if (children.length === 0 && now >= splitAtMs) children = source.split('shardId-000000000000');
    if (merged === undefined && now >= mergeAtMs) merged = source.merge(children[0]!, children[1]!);
    while (written < lines.length && lines[written]!.arrivalMs <= now) {
      source.put(hotKey(written), encoder.encode(lines[written]!.line), lines[written]!.arrivalMs);
      written++;
    }
    if (written === lines.length && merged !== undefined) source.finish();
    drained = (await driver.round(now)).drained && written === lines.length;
    await clock.advance(INTERVAL_MS);
  }
  return { printed, drained, staged, checkpoints, objects, counts: source.counts(), children, merged: merged! };
}

/**
 * A partition key for line `i`: three lines in four go to the lower half of the hash range (shard 0,
 * then its children), which stage 0 reads behind, at its rate limit; the rest to shard 1, read in step.
 */
function hotKey(i: number): string {
  const lower = i % 4 !== 0;
  for (let j = 0; ; j++) {
    const key = `k-${i}-${j}`;
    if (createHash('md5').update(key).digest()[0]! < 0x80 === lower) return key;
  }
}

describe('a pipeline with exchanges, local mode, the source split and merged in mid-run', () => {
  it('word-count-global keeps exact totals and drains: each closed parent ends as an origin, its children join', async () => {
    const lines = timedCorpus(1_500, 1, START_MS, 12_000, 3);
    const { printed, drained, staged, checkpoints, objects, counts, children, merged } = await runAcrossReshards(
      wordCountGlobal as Stream<unknown>,
      lines,
      START_MS + 3_000,
      START_MS + 7_000,
    );
    expect(drained).toBe(true);
    // Every shard of the lineage held records: the children and the merged child were read.
    for (const shardId of [...children, merged]) expect(counts[shardId], shardId).toBeGreaterThan(0);
    const totals = await readMergedState(checkpoints, objects, stageApp(staged.name, 1), staged.stages[1]!, 'totals');
    expect(totals).toEqual(countOf(lines));
    const last = printed.filter((p) => p.app === 'word-count-global.s2').at(-1)!;
    expectTop10(last.items as Array<[string, number]>, countOf(lines));
  }, 60_000);

  it('top-k-global prints every 5 s window once, each equal to a reference over the whole input, none closed before the children', async () => {
    const lines = timedCorpus(1_500, 1, START_MS, 12_000, 11);
    const { printed, drained, counts, children, merged } = await runAcrossReshards(topKGlobal as Stream<unknown>, lines, START_MS + 3_000, START_MS + 7_000);
    expect(drained).toBe(true);
    for (const shardId of [...children, merged]) expect(counts[shardId], shardId).toBeGreaterThan(0);
    const windows = printed
      .filter((p) => p.app === 'top-k-global.s2')
      .flatMap((p) => p.items as Array<{ startMs: number; endMs: number; top: Array<[string, number]> }>);
    const first = Math.floor(START_MS / 1_000) * 1_000 + 1_000;
    const lastArrival = lines[lines.length - 1]!.arrivalMs;
    const expectedEnds = windowEnds(first, lastArrival);
    expect(windows.map((w) => w.endMs)).toEqual(expectedEnds);
    for (const w of windows) expectTop10(w.top, countOf(lines.filter((l) => l.arrivalMs >= w.startMs && l.arrivalMs < w.endMs)));
  }, 60_000);
});
