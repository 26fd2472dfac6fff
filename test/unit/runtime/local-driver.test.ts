import { describe, expect, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { GeneratorSource } from '../../../lib/adapters/local/sources/generator-source';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { pipeline } from '../../../lib/core/pipeline/stream';
import { PidRateEstimator } from '../../../lib/core/rate/pid-rate-estimator';
import type { SourceRecord } from '../../../lib/core/source-record';
import type { Source } from '../../../lib/ports/source';
import { BatchRetryPolicy } from '../../../lib/runtime/failures/batch-retry-policy';
import { LocalDriver, type DriverBatchEvent } from '../../../lib/runtime/local-driver/local-driver';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { readQuarantine } from '../../../lib/runtime/failures/read-quarantine';
import { tokenBucketGate } from '../../../lib/runtime/rate-gates/token-bucket-gate';
import { FakeClock } from '../../helpers/fake-clock';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';

const compiled = compilePipeline(wordCount as never);

/** A finite in-memory log of one shard. */
function arraySource(records: SourceRecord[]): Source {
  return {
    listShards: async () => [{ shardId: 'mem-0', parentShardIds: [] }],
    read: async (_shard, afterSeq, max) => {
      const from = afterSeq === undefined ? 0 : records.findIndex((r) => r.seq === afterSeq) + 1;
      const out = records.slice(from, from + max);
      return { records: out, endOfShard: false, endOfData: from + out.length >= records.length };
    },
  };
}

function setup(source: Source, options: { maxRatePerShard?: number; estimator?: PidRateEstimator; durationMs?: number; clock?: FakeClock } = {}) {
  const clock = options.clock ?? new FakeClock({ startMs: 1_700_000_000_000, autoAdvance: true });
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const processor = new MicroBatchProcessor({
    app: 'wc',
    pipeline: compiled,
    checkpoints,
    objects,
    clock,
    maxRatePerShard: options.maxRatePerShard,
    rateGate: tokenBucketGate(),
  });
  const events: DriverBatchEvent[] = [];
  const driver = new LocalDriver({
    app: 'wc',
    source,
    processor,
    checkpoints,
    clock,
    batchIntervalMs: 1_000,
    maxRatePerShard: options.maxRatePerShard,
    estimator: options.estimator,
    durationMs: options.durationMs,
    onBatch: (e) => events.push(e),
  });
  return { driver, events, checkpoints, objects };
}

/** A driver over one record per batch, whose sink always fails on the batch holding "toxic". */
function fragileSetup(retryFailures: boolean) {
  const fragile = compilePipeline(
    pipeline('fragile')
      .flatMap((l: string) => l.split(' '))
      .foreachBatch((words) => {
        if (words.includes('toxic')) throw new Error('the sink rejects toxic batches');
      })
      .countByValue()
      .updateStateByKey<string, number, number>((c, t = 0) => t + c.reduce((a, b) => a + b, 0), { merge: (a, b) => a + b }) as never,
  );
  const clock = new FakeClock({ startMs: 1_700_000_000_000, autoAdvance: true });
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const failurePolicy = new BatchRetryPolicy({ app: 'fragile', pipeline: fragile, checkpoints, objects, clock, maxAttempts: 3 });
  const processor = new MicroBatchProcessor({ app: 'fragile', pipeline: fragile, checkpoints, objects, clock, failurePolicy });
  const failures: unknown[] = [];
  const source = arraySource(recordsOf(['a b', 'toxic a', 'b']));
  const driver = new LocalDriver({
    app: 'fragile',
    source,
    processor,
    checkpoints,
    clock,
    batchIntervalMs: 100,
    maxRecordsPerBatch: 1,
    retryFailures,
    onFailure: (_shard, error) => failures.push(error),
  });
  return { driver, failures, checkpoints, objects, fragile };
}

describe('LocalDriver', () => {
  describe('run', () => {
    it('stops once a finite source is drained and committed', async () => {
      const lines = sampleLines(500);
      const { driver, checkpoints, objects } = setup(arraySource(recordsOf(lines)));
      const result = await driver.run();
      expect(result).toMatchObject({ stoppedBy: 'drained', records: 500 });
      expect(stateToJson(await readMergedState(checkpoints, objects, 'wc', compiled))).toEqual(countWords(lines));
    });

    it('takes at most the static rate per batch interval', async () => {
      const { driver, events } = setup(arraySource(recordsOf(sampleLines(1_000))), { maxRatePerShard: 300 });
      const result = await driver.run();
      expect(result.records).toBe(1_000);
      expect(Math.max(...events.map((e) => e.records))).toBe(300);
      expect(events.filter((e) => e.records > 0)).toHaveLength(4);
    });

    it('pulls at the rate the PID estimator computes after each batch', async () => {
      // Prepare: 1,000 records/s arrive; the estimator sees processing that cannot keep up.
      const clock = new FakeClock({ startMs: 0, autoAdvance: true });
      const source = new GeneratorSource({ seed: 1, clock, profile: { kind: 'steady', rate: 1_000 } });
      const slowEstimator = new PidRateEstimator({ batchIntervalMs: 1_000 });
      const estimator = { compute: (t: number, n: number) => slowEstimator.compute(t, n, 2_000, 500), toJSON: () => slowEstimator.toJSON() };
      const { driver, events } = setup(source, { estimator: estimator as unknown as PidRateEstimator, durationMs: 6_000, clock });
      // Act
      await driver.run();
      // Assess: after two batches the pull shrinks to the estimated sustainable rate.
      const rates = events.map((e) => e.rate);
      expect(rates[0]).toBeUndefined();
      expect(rates.at(-1)).toBeLessThan(1_000);
      expect(events.at(-1)!.records).toBeLessThanOrEqual(Math.floor(rates.at(-2) ?? Infinity));
    });

    it('retries a failing batch at the next tick and goes on once the failure policy set it aside', async () => {
      // Prepare: one record per batch; the sink always fails on the batch holding "toxic".
      const { driver, failures, checkpoints, objects, fragile } = fragileSetup(true);
      // Act
      const result = await driver.run();
      // Assess
      expect(result.stoppedBy).toBe('drained');
      expect(failures).toHaveLength(2);
      expect(stateToJson(await readMergedState(checkpoints, objects, 'fragile', fragile))).toEqual({ a: 1, b: 2 });
      expect(await readQuarantine(objects, checkpoints, 'fragile')).toEqual([
        expect.objectContaining({ kind: 'batch', entry: expect.objectContaining({ batchNo: 2, firstSeq: '2', lastSeq: '2' }) }),
      ]);
    });

    it('runs idle ticks once the source is quiet, so arrival-time windows close, and stops when none is left open', async () => {
      // Prepare: 40 words that arrived 100 ms apart from t0 - 1 s, read 10 per 1 s batch from t0; 1 s windows every 500 ms.
      const t0 = 1_700_000_000_000;
      const windows: Array<{ endMs: number; count: number }> = [];
      const win = compilePipeline(
        pipeline('win')
          .countByWindow({ windowMs: 1_000, slideMs: 500 })
          .foreachBatch((ws) => {
            for (const w of ws) windows.push({ endMs: w.endMs, count: w.value });
          }) as never,
      );
      const clock = new FakeClock({ startMs: t0, autoAdvance: true });
      const checkpoints = new MemoryCheckpointStore();
      const processor = new MicroBatchProcessor({ app: 'win', pipeline: win, checkpoints, objects: new MemoryObjectStore(), clock });
      const records = recordsOf(sampleLines(40)).map((r, i) => ({ ...r, arrivalMs: t0 - 1_000 + i * 100 }));
      const events: DriverBatchEvent[] = [];
      const driver = new LocalDriver({
        app: 'win',
        source: arraySource(records),
        processor,
        checkpoints,
        clock,
        batchIntervalMs: 1_000,
        maxRecordsPerBatch: 10,
        onBatch: (e) => events.push(e),
      });
      // Act
      const result = await driver.run();
      // Assess: every window holding a record was emitted, the last ones by ticks (batches of no records).
      expect(result).toMatchObject({ stoppedBy: 'drained', records: 40 });
      const lastArrival = t0 - 1_000 + 39 * 100;
      expect(Math.max(...windows.filter((w) => w.count > 0).map((w) => w.endMs))).toBe(lastArrival - (lastArrival % 500) + 1_000);
      expect(windows.reduce((n, w) => n + w.count, 0)).toBe(40 * 2); // each record in two sliding windows
      const ticks = events.flatMap((e) => e.batches).filter((b) => b.records === 0);
      expect(ticks.length).toBeGreaterThan(0);
    });

    it('stops ticking a finished source once a tick was set aside, instead of ticking forever', async () => {
      // Prepare: a sink that rejects every window, so the tick that closes them keeps failing.
      const t0 = 1_700_000_000_000;
      const win = compilePipeline(
        pipeline('win')
          .countByWindow({ windowMs: 1_000 })
          .foreachBatch((ws) => {
            if (ws.length > 0) throw new Error('the sink rejects windows');
          }) as never,
      );
      const clock = new FakeClock({ startMs: t0, autoAdvance: true });
      const checkpoints = new MemoryCheckpointStore();
      const objects = new MemoryObjectStore();
      const failurePolicy = new BatchRetryPolicy({ app: 'win', pipeline: win, checkpoints, objects, clock, maxAttempts: 2 });
      const processor = new MicroBatchProcessor({ app: 'win', pipeline: win, checkpoints, objects, clock, failurePolicy });
      const records = recordsOf(['a', 'b']).map((r) => ({ ...r, arrivalMs: t0 - 5_000 }));
      const driver = new LocalDriver({
        app: 'win',
        source: arraySource(records),
        processor,
        checkpoints,
        clock,
        batchIntervalMs: 1_000,
        retryFailures: true,
        durationMs: 60_000,
      });
      // Act
      const result = await driver.run();
      // Assess
      expect(result.stoppedBy).toBe('drained');
      expect(await readQuarantine(objects, checkpoints, 'win')).toEqual([
        expect.objectContaining({
          kind: 'batch',
          entry: expect.objectContaining({ batchNo: 2, count: 0, reason: expect.stringContaining('the sink rejects windows') }),
        }),
      ]);
    });

    it('ends the run at the first failure when failures are not retried', async () => {
      const { driver, failures } = fragileSetup(false);
      await expect(driver.run()).rejects.toThrow('the sink rejects toxic batches');
      expect(failures).toEqual([]);
    });
  });
});
