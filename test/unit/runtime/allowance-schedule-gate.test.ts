import { describe, expect, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { allowanceScheduleGate } from '../../../lib/runtime/rate-gates/allowance-schedule-gate';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { FakeClock } from '../../helpers/fake-clock';
import { recordsOf, sampleLines } from '../../helpers/word-records';

describe('allowanceScheduleGate', () => {
  it('paces a Lambda shard to the rate and reports no delay while processing keeps up', async () => {
    // Prepare: 1,000 records wait in the shard; the limit is 100 records/s with 1 s batches.
    const clock = new FakeClock({ startMs: 1_000_000, autoAdvance: true });
    const processor = new MicroBatchProcessor({
      app: 'wc',
      pipeline: compilePipeline(wordCount as never),
      checkpoints: new MemoryCheckpointStore(),
      objects: new MemoryObjectStore(),
      clock,
      maxRatePerShard: 100,
      rateGate: allowanceScheduleGate({ batchIntervalMs: 1_000, batchingWindowMs: 0 }),
    });
    let pending = recordsOf(sampleLines(1_000), 1, 0);
    const sizes: number[] = [];
    const delays: number[] = [];
    const start = clock.nowMs();
    // Act: the ESM redelivers from the first deferred record, as ReportBatchItemFailures makes it.
    while (pending.length > 0) {
      const result = await processor.process({ shardId: 's', records: pending });
      for (const b of result.batches) {
        sizes.push(b.records);
        delays.push(b.schedulingDelayMs);
      }
      const from = result.deferredFromSeq;
      pending = from === undefined ? [] : pending.filter((r) => BigInt(r.seq) >= BigInt(from));
    }
    const elapsedMs = clock.nowMs() - start;
    // Assess: 100 per batch, one batch per second of schedule, never a delay of its own making.
    expect(sizes).toEqual(new Array(10).fill(100));
    expect(elapsedMs).toBeGreaterThanOrEqual(9_000);
    expect(elapsedMs).toBeLessThanOrEqual(10_000);
    expect(Math.max(...delays.slice(1))).toBe(0);
  });

  it('reports a growing scheduling delay when processing is slower than the admitted rate', async () => {
    // Prepare: every commit takes 1.5 s of clock time, while the schedule admits 100 records per 1 s.
    const clock = new FakeClock({ startMs: 1_000_000, autoAdvance: true });
    const store = new MemoryCheckpointStore();
    const slowStore = {
      get: store.get.bind(store),
      query: store.query.bind(store),
      transact: async (w: Parameters<typeof store.transact>[0]) => {
        await clock.sleep(1_500);
        return store.transact(w);
      },
    };
    const processor = new MicroBatchProcessor({
      app: 'wc',
      pipeline: compilePipeline(wordCount as never),
      checkpoints: slowStore,
      objects: new MemoryObjectStore(),
      clock,
      maxRatePerShard: 100,
      rateGate: allowanceScheduleGate({ batchIntervalMs: 1_000, batchingWindowMs: 0 }),
    });
    let pending = recordsOf(sampleLines(500), 1, 1_000_000);
    const delays: number[] = [];
    // Act
    while (pending.length > 0) {
      const result = await processor.process({ shardId: 's', records: pending });
      delays.push(...result.batches.map((b) => b.schedulingDelayMs));
      const from = result.deferredFromSeq;
      pending = from === undefined ? [] : pending.filter((r) => BigInt(r.seq) >= BigInt(from));
    }
    // Assess: each batch starts half a second later than the last against its schedule.
    expect(delays).toEqual([0, 500, 1_000, 1_500, 2_000]);
  });
});
