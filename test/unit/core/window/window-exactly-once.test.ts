import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../../lib/core/engine/compile-pipeline';
import { pipeline } from '../../../../lib/core/pipeline/stream';
import type { SourceRecord } from '../../../../lib/core/source-record';
import type { CheckpointStore } from '../../../../lib/ports/checkpoint-store';
import type { ObjectStore } from '../../../../lib/ports/object-store';
import { MicroBatchProcessor } from '../../../../lib/runtime/protocol/micro-batch-processor';
import { readMergedState } from '../../../../lib/runtime/protocol/read-merged-state';
import { CrashInjector, InjectedCrash } from '../../../helpers/crash-injector';
import { FakeClock } from '../../../helpers/fake-clock';
import { seededRandom } from '../../../../lib/core/util/seeded-random';
import { StorageKeys } from '../../../../lib/runtime/protocol/storage-keys';

const encoder = new TextEncoder();

/** Words arriving 100 ms apart, with every seventh one arriving 2.5 s late. */
function records(count: number): SourceRecord[] {
  const words = ['ant', 'bee', 'cat', 'dog'];
  return Array.from({ length: count }, (_, i) => ({
    seq: String(i + 1),
    arrivalMs: 1_000_000 + i * 100 - (i % 7 === 6 ? 2_500 : 0),
    partitionKey: 'p',
    data: encoder.encode(words[(i * i) % words.length]!),
  }));
}

/** An idle tick, as the local driver runs one when the source had nothing at `idleAtMs`. */
interface Tick {
  readonly idleAtMs: number;
}

/** Runs deliveries like the ESM (and ticks like the local driver): retry each until it succeeds, on a fresh processor after a crash. */
async function deliver(deliveries: Array<SourceRecord[] | Tick>, make: (faulty: boolean) => MicroBatchProcessor): Promise<void> {
  let processor = make(true);
  for (const batch of deliveries) {
    for (;;) {
      try {
        if (Array.isArray(batch)) await processor.process({ shardId: 's1', records: batch });
        else await processor.idleTick('s1', batch.idleAtMs);
        break;
      } catch (error) {
        if (!(error instanceof InjectedCrash)) throw error;
        processor = make(false);
      }
    }
  }
}

describe('reduceByKeyAndWindow', () => {
  describe('under the micro-batch protocol', () => {
    it('emits the same windows and late records after a crash before or after every port call, idle ticks included', async () => {
      // Prepare: an idempotent sink keyed by batch id, as foreachBatch requires.
      const sink = new Map<string, unknown[]>();
      const late = new Map<string, unknown[]>();
      const stream = pipeline('win')
        .map((word) => [word, 1] as [string, number])
        .reduceByKeyAndWindow((a, b) => a + b, {
          windowMs: 1_000,
          slideMs: 500,
          inverse: (a, b) => a - b,
          onLate: (rs, info) =>
            void late.set(
              info.batchId,
              rs.map((r) => r.value),
            ),
        })
        .foreachBatch((windows, info) => void sink.set(info.batchId, windows));
      // A crashed invocation's process is gone: each processor compiles the pipeline afresh.
      const compiled = () => compilePipeline(stream as never);
      const all = records(120);
      // Ticks: the source idle after the 40th record, and at last idle long enough to close every window.
      const lastArrivalMs = Math.max(...all.map((r) => r.arrivalMs));
      const deliveries = [all.slice(0, 40), { idleAtMs: all[39]!.arrivalMs }, all.slice(30, 90), all.slice(85, 120), { idleAtMs: lastArrivalMs + 1_000 }];
      const runWith = async (crash: CrashInjector | undefined) => {
        sink.clear();
        late.clear();
        const checkpoints: CheckpointStore = new MemoryCheckpointStore();
        const objects: ObjectStore = new MemoryObjectStore();
        const clock = new FakeClock({ startMs: 2_000_000 });
        await deliver(deliveries, (faulty) =>
          faulty && crash !== undefined
            ? new MicroBatchProcessor({ app: 'win', pipeline: compiled(), checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects), clock })
            : new MicroBatchProcessor({ app: 'win', pipeline: compiled(), checkpoints, objects, clock }),
        );
        return { windows: new Map(sink), late: new Map(late) };
      };
      const expected = await runWith(undefined);
      expect([...expected.windows.values()].flat().length).toBeGreaterThan(10);
      // The last tick closed the windows holding the last records.
      const ends = [...expected.windows.values()].flat().map((w) => (w as { endMs: number }).endMs);
      expect(Math.max(...ends)).toBeGreaterThan(lastArrivalMs);
      expect([...expected.late.values()].flat().length).toBeGreaterThan(0);
      for (const when of ['before', 'after'] as const) {
        let crashes = 0;
        for (let crashAt = 1; crashAt <= 40; crashAt++) {
          // Act
          const crash = new CrashInjector(crashAt, when);
          const got = await runWith(crash);
          // Assess
          expect(got, `crash ${when} call ${crashAt}`).toEqual(expected);
          if (!crash.crashed) break; // past the last port call of the run
          crashes++;
        }
        expect(crashes).toBeGreaterThanOrEqual(9);
      }
    });
  });
});

describe('idle ticks racing batches of records', () => {
  /** Stores whose every call waits 0-2 ms before and after, so concurrent callers interleave at random. */
  function jittery<T extends object>(inner: T, rand: () => number): T {
    const pause = () => new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * 3)));
    return new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await pause();
          const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          await pause();
          return out;
        };
      },
    });
  }

  it('emits every window once, with the same values, whichever of a tick and a batch commits first', async () => {
    // Prepare: 120 words 100 ms apart in three deliveries; 1 s windows every 500 ms, with an inverse.
    const all = records(120).map((r, i) => ({ ...r, arrivalMs: 1_000_000 + i * 100 }));
    const deliveries = [all.slice(0, 40), all.slice(40, 80), all.slice(80, 120)];
    const lastArrivalMs = all[119]!.arrivalMs;
    const run = async (seed: number | undefined) => {
      const sink = new Map<string, string>();
      const conflicts: string[] = [];
      const stream = pipeline('race')
        .map((word) => [word, 1] as [string, number])
        .reduceByKeyAndWindow((a, b) => a + b, { windowMs: 1_000, slideMs: 500, inverse: (a, b) => a - b })
        .foreachBatch((windows, info) => {
          const text = JSON.stringify(windows.map((w) => [w.endMs, [...(w.value as Array<[string, number]>)].sort()]));
          const seen = sink.get(info.batchId);
          if (seen === undefined) sink.set(info.batchId, text);
          else if (seen !== text) conflicts.push(info.batchId);
        });
      const memory = { checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
      const rand = seededRandom(seed ?? 0);
      const stores = seed === undefined ? memory : { checkpoints: jittery(memory.checkpoints, rand), objects: jittery(memory.objects, rand) };
      // Two "containers": the mapping's invocations and the controller's ticks, each with its own cache.
      const make = () =>
        new MicroBatchProcessor({ app: 'race', pipeline: compilePipeline(stream as never), ...stores, clock: new FakeClock({ startMs: 2_000_000 }) });
      const [esm, ticker] = [make(), make()];
      await esm.process({ shardId: 's1', records: deliveries[0]! });
      for (const d of [1, 2]) {
        // The source was idle until the next delivery's first arrival: no record still to come is older.
        const idleAtMs = deliveries[d]![0]!.arrivalMs;
        const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        await Promise.all([
          after(seed === undefined ? 0 : Math.floor(rand() * 8)).then(() => esm.process({ shardId: 's1', records: deliveries[d]! })),
          after(seed === undefined ? 0 : Math.floor(rand() * 8)).then(() => ticker.idleTick('s1', idleAtMs)),
        ]);
      }
      await ticker.idleTick('s1', lastArrivalMs + 5_000);
      const checkpoint = JSON.parse((await memory.checkpoints.get(StorageKeys.shardPartition('race', 's1'), StorageKeys.CHECKPOINT_SK))!.data) as {
        batchNo: number;
      };
      // The committed batches' windows, in batch order: each window exactly once.
      const committed = Array.from(
        { length: checkpoint.batchNo },
        (_, i) => JSON.parse(sink.get(`race/s1/${i + 1}`) ?? '[]') as Array<[number, unknown]>,
      ).flat();
      return { conflicts, windows: committed.sort((a, b) => a[0] - b[0]) };
    };
    const expected = await run(undefined);
    expect(expected.windows.length).toBeGreaterThan(20);
    for (let seed = 1; seed <= 40; seed++) {
      // Act
      const got = await run(seed);
      // Assess
      expect(got.conflicts, `seed ${seed}`).toEqual([]);
      expect(got.windows, `seed ${seed}`).toEqual(expected.windows);
    }
  });
});

describe('mapWithState', () => {
  describe('read with readMergedState', () => {
    it('returns the keys of the user, not the operator’s event-time clock', async () => {
      // Prepare
      const stream = pipeline('clicks')
        .map((line) => line.split(' ') as [string, string])
        .mapWithState<string, string, number, never>(
          (_user, _page, state) => {
            state.update((state.getOption() ?? 0) + 1);
            return undefined;
          },
          { name: 'visits', eventTime: (_p, arrivalMs) => arrivalMs, idleTimeoutMs: 60_000 },
        );
      const compiled = compilePipeline(stream as never);
      const checkpoints = new MemoryCheckpointStore();
      const objects = new MemoryObjectStore();
      const processor = new MicroBatchProcessor({ app: 'clicks', pipeline: compiled, checkpoints, objects, clock: new FakeClock({ startMs: 5_000 }) });
      const lines = ['ann /', 'bob /a', 'ann /b'];
      // Act
      await processor.process({
        shardId: 's1',
        records: lines.map((l, i) => ({ seq: String(i + 1), arrivalMs: 1_000 + i, partitionKey: 'p', data: encoder.encode(l) })),
      });
      // Assess
      expect(Object.fromEntries(await readMergedState(checkpoints, objects, 'clicks', compiled))).toEqual({ ann: 2, bob: 1 });
    });
  });
});
