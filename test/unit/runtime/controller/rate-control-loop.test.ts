import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../../lib/core/engine/compile-pipeline';
import { pipeline } from '../../../../lib/core/pipeline/stream';
import { MicroBatchProcessor } from '../../../../lib/runtime/protocol/micro-batch-processor';
import { ThrottledError } from '../../../../lib/core/errors';
import { readControlItem } from '../../../../lib/runtime/controller/control-item';
import type { EstimatorConfig } from '../../../../lib/runtime/controller/create-rate-estimator';
import { RateControlLoop } from '../../../../lib/runtime/controller/rate-control-loop';
import { StorageKeys } from '../../../../lib/runtime/protocol/storage-keys';
import { FakeClock } from '../../../helpers/fake-clock';
import { recordsOf } from '../../../helpers/word-records';
import { ShardPlant } from './shard-plant';
import { SwitchableStore } from './switchable-store';

const APP = 'clicks';
const INTERVAL_MS = 5_000;
const START_MS = 1_700_000_000_000;

function setup(estimator: EstimatorConfig = { kind: 'sluice', batchIntervalMs: 1000 }) {
  const memory = new MemoryCheckpointStore();
  const clock = new FakeClock({ startMs: START_MS });
  const store = new SwitchableStore(memory, clock);
  const plant = new ShardPlant(memory, APP, 'shardId-000', { overheadMs: 100, costPerRecordMs: 0.5 }, 3_000);
  const loop = (invocationId = 'inv-1') =>
    new RateControlLoop({ app: APP, checkpoints: store, clock, estimator, controlIntervalMs: INTERVAL_MS, invocationId });
  const published = async () => readControlItem(await memory.get(StorageKeys.shardPartition(APP, 'shardId-000'), StorageKeys.CONTROL_SK)).control?.rateLimit;
  /** One control interval: the plant runs at the published rate, then the controller samples it. */
  const interval = async (controller: RateControlLoop) => {
    await clock.advance(INTERVAL_MS);
    await plant.run(INTERVAL_MS / 1000, clock.nowMs());
    return controller.round();
  };
  return { memory, store, clock, plant, loop, published, interval };
}

describe('RateControlLoop', () => {
  describe('tick', () => {
    it.each([
      // Fixed points: the sluice controller aims at 95 % of busy time (100 + 0.5 r = 950 ms), Spark's at 100 %.
      { kind: 'sluice' as const, before: 1_700, after: 850 },
      { kind: 'pid' as const, before: 1_800, after: 900 },
    ])('publishes rates that track a simulated shard and follow a doubling of its cost ($kind)', async ({ kind, before, after }) => {
      // Prepare: 3,000 records/s arrive; the shard sustains 1,800/s, then 900/s.
      const { plant, loop, interval } = setup({ kind, batchIntervalMs: 1000 });
      const controller = loop();
      // Act
      const rates: number[] = [];
      for (let i = 0; i < 40; i++) rates.push((await interval(controller)).rates['shardId-000'] ?? Number.NaN);
      plant.cost = { overheadMs: 100, costPerRecordMs: 1 };
      for (let i = 0; i < 40; i++) rates.push((await interval(controller)).rates['shardId-000'] ?? Number.NaN);
      // Assess: settled within 10 % of the fixed point at the end of each phase, the backlog drained.
      for (const r of rates.slice(30, 40)) expect(Math.abs(r - before) / before).toBeLessThan(0.1);
      for (const r of rates.slice(70, 80)) expect(Math.abs(r - after) / after).toBeLessThan(0.1);
      expect(plant.schedulingDelayMs).toBeLessThan(2_000);
    });

    it('keeps the last published rate while the store throws, and goes on from it once the store is back', async () => {
      // Prepare
      const { store, plant, loop, published, interval } = setup();
      const controller = loop();
      for (let i = 0; i < 20; i++) await interval(controller);
      const last = await published();
      // Act: DynamoDB throttles every call for three intervals; the shard keeps running.
      store.failing = true;
      const failed = [];
      for (let i = 0; i < 3; i++) failed.push(await interval(controller));
      const during = await published();
      store.failing = false;
      const resumed = await interval(controller);
      // Assess
      expect(last).toBeGreaterThan(0);
      expect(failed.map((t) => t.errors.length)).toEqual([1, 1, 1]);
      expect(failed[0]!.errors[0]!.error).toBeInstanceOf(ThrottledError);
      expect(during).toBe(last);
      expect(resumed.errors).toEqual([]);
      expect(resumed.written).toBe(1);
      expect(plant.schedulingDelayMs).toBeLessThan(2_000);
    });

    it('publishes the same rates whether one invocation runs every tick or each tick is a new one', async () => {
      // Prepare
      const warm = setup();
      const cold = setup();
      const warmLoop = warm.loop();
      // Act
      const warmRates: Array<number | undefined> = [];
      const coldRates: Array<number | undefined> = [];
      for (let i = 0; i < 15; i++) {
        warmRates.push((await warm.interval(warmLoop)).rates['shardId-000']);
        coldRates.push((await cold.interval(cold.loop(`inv-${i}`))).rates['shardId-000']);
      }
      // Assess: the PID state and the sample travel in the control item, not in the instance.
      expect(coldRates).toEqual(warmRates);
      expect(new Set(warmRates).size).toBeGreaterThan(5);
    });

    it('never writes the checkpoint item', async () => {
      // Prepare
      const { memory, clock, plant, loop } = setup();
      await plant.run(5, clock.nowMs());
      const pk = StorageKeys.shardPartition(APP, 'shardId-000');
      const before = await memory.get(pk, StorageKeys.CHECKPOINT_SK);
      // Act
      await loop().round();
      await clock.advance(INTERVAL_MS);
      await loop().round();
      // Assess
      expect(await memory.get(pk, StorageKeys.CHECKPOINT_SK)).toEqual(before);
      expect((await memory.get(pk, StorageKeys.CONTROL_SK))?.version).toBe(1);
    });

    it('loses a write to an overlapping controller run without an error', async () => {
      // Prepare
      const { clock, plant, loop } = setup();
      await plant.run(5, clock.nowMs());
      // Act: two invocations sample the same shard at the same time.
      const [a, b] = await Promise.all([loop('inv-a').round(), loop('inv-b').round()]);
      // Assess
      expect(a.written + b.written).toBe(1);
      expect(a.contended + b.contended).toBe(1);
      expect([...a.errors, ...b.errors]).toEqual([]);
    });

    it('reports a failed listing of the shards as one error and publishes nothing', async () => {
      // Prepare
      const { store, loop } = setup();
      store.failing = true;
      // Act
      const result = await loop().round();
      // Assess
      expect(result).toMatchObject({ written: 0, rates: {} });
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]!.shardId).toBeUndefined();
    });
  });

  describe('run', () => {
    it('runs a round every control interval and stops before one could pass the deadline', async () => {
      // Prepare: each store call takes 300 ms: a tick that writes (list, query, put) takes 900 ms, an idle one 600 ms.
      const { store, clock, plant } = setup();
      await plant.run(5, clock.nowMs());
      const auto = new FakeClock({ startMs: clock.nowMs(), autoAdvance: true });
      const timed = new SwitchableStore(store.inner, auto);
      timed.latencyMs = 300;
      const loop = new RateControlLoop({
        app: APP,
        checkpoints: timed,
        clock: auto,
        estimator: { kind: 'sluice', batchIntervalMs: 1000 },
        controlIntervalMs: INTERVAL_MS,
      });
      const startMs = auto.nowMs();
      // Act
      const summary = await loop.run(startMs + 20_000);
      // Assess: rounds at 0, 5, 10 and 15 s; one at 20 s could end at 20.9 s, past the deadline.
      expect(summary.rounds).toBe(4);
      expect(auto.nowMs() - startMs).toBe(15_600);
      expect(summary.errors).toEqual([]);
    });

    it('runs no tick when the deadline leaves no room for one', async () => {
      // Prepare
      const { loop, clock } = setup();
      // Act
      const summary = await loop().run(clock.nowMs() - 1);
      // Assess
      expect(summary.rounds).toBe(0);
    });
  });

  describe('idle ticks', () => {
    /** A processor of windows of arrival time (1 s tumbling by default), and a loop that asks it for idle ticks after a minute. */
    function windowedSetup(window: { windowMs: number; slideMs?: number } = { windowMs: 1_000 }) {
      const checkpoints = new MemoryCheckpointStore();
      const clock = new FakeClock({ startMs: START_MS });
      const windows: Array<[endMs: number, count: number]> = [];
      const compiled = compilePipeline(
        pipeline('win')
          .countByWindow(window)
          .foreachBatch((ws) => {
            for (const w of ws) windows.push([w.endMs - START_MS, w.value]);
          }) as never,
      );
      const processor = new MicroBatchProcessor({ app: 'win', pipeline: compiled, checkpoints, objects: new MemoryObjectStore(), clock });
      const requests: Array<[string, number]> = [];
      let failing = false;
      const loop = new RateControlLoop({
        app: 'win',
        checkpoints,
        clock,
        estimator: { kind: 'sluice', batchIntervalMs: 1_000 },
        controlIntervalMs: INTERVAL_MS,
        idleTicks: {
          afterMs: 60_000,
          request: async (shardId, idleAtMs) => {
            if (failing) throw new Error('Lambda is throttling Invoke');
            requests.push([shardId, idleAtMs - START_MS]);
            await processor.idleTick(shardId, idleAtMs);
          },
        },
      });
      const records = recordsOf(['a', 'b', 'c']).map((r, i) => ({ ...r, arrivalMs: START_MS + 200 + i * 500 }));
      return { clock, windows, processor, loop, records, requests, fail: () => (failing = true) };
    }

    it('asks the processor to tick a shard quiet for afterMs whose windows wait, once', async () => {
      // Prepare: three records in the window [0 s, 1 s) and one in [1 s, 2 s); nothing closes them.
      const { clock, windows, processor, loop, records, requests } = windowedSetup();
      await processor.process({ shardId: 'shardId-000', records });
      expect(windows).toEqual([[1_000, 2]]);
      // Act: the controller samples every 5 s for two minutes.
      for (let i = 0; i < 24; i++) {
        await clock.advance(INTERVAL_MS);
        await loop.round();
      }
      // Assess: one request, once a minute of quiet put the idle time past the last window's end; the
      // tick closed that window (and the empty ones up to the idle time, as countByWindow reports them).
      expect(requests).toEqual([['shardId-000', 5_000]]);
      expect(windows.filter(([, count]) => count > 0)).toEqual([
        [1_000, 2],
        [2_000, 1],
      ]);
      expect(windows.at(-1)).toEqual([5_000, 0]);
    });

    it('goes on ticking as sliding windows come due, counting quiet time from the last records, not the last tick', async () => {
      // Prepare: 20 records 500 ms apart over 10 s windows sliding by 1 s: windows ending at 10-19 s stay open.
      const { clock, windows, processor, loop, requests } = windowedSetup({ windowMs: 10_000, slideMs: 1_000 });
      const records = recordsOf(Array.from({ length: 20 }, () => 'a')).map((r, i) => ({ ...r, arrivalMs: START_MS + i * 500 }));
      await processor.process({ shardId: 'shardId-000', records });
      // Act: the controller samples every 5 s for two minutes.
      for (let i = 0; i < 24; i++) {
        await clock.advance(INTERVAL_MS);
        await loop.round();
      }
      // Assess: one tick per sample from 70 s on, until the last window holding data closed.
      expect(requests.map(([, idleAtMs]) => idleAtMs)).toEqual([10_000, 15_000, 20_000]);
      expect(windows.filter(([, count]) => count > 0).map(([endMs]) => endMs)).toEqual(Array.from({ length: 19 }, (_, i) => (i + 1) * 1_000));
    });

    it('asks nothing while the shard commits, or when no window waits', async () => {
      // Prepare: a new record every 5 s keeps the shard busy for two minutes.
      const { clock, processor, loop, records, requests } = windowedSetup();
      // Act
      for (let i = 0; i < 24; i++) {
        const seq = String(i + 1);
        await processor.process({ shardId: 'shardId-000', records: [{ ...records[0]!, seq, arrivalMs: clock.nowMs() }] });
        await clock.advance(INTERVAL_MS);
        await loop.round();
      }
      // Assess
      expect(requests).toEqual([]);
    });

    it('reports a failed request and still publishes rates', async () => {
      // Prepare
      const { clock, processor, loop, records, fail } = windowedSetup();
      await processor.process({ shardId: 'shardId-000', records });
      fail();
      // Act
      await clock.advance(62_000);
      const result = await loop.round();
      // Assess
      expect(result.errors.map((e) => [e.shardId, String(e.error)])).toEqual([['shardId-000', 'Error: Lambda is throttling Invoke']]);
      expect(result.written).toBe(1);
    });
  });
});
