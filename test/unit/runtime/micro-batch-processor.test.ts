import { describe, expect, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { ConfigError, GraphMismatchError } from '../../../lib/core/errors';
import { pipeline } from '../../../lib/core/pipeline/stream';
import type { CheckpointStore } from '../../../lib/ports/checkpoint-store';
import type { ObjectStore } from '../../../lib/ports/object-store';
import { MicroBatchProcessor, type RateGate } from '../../../lib/runtime/protocol/micro-batch-processor';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { tokenBucketGate } from '../../../lib/runtime/rate-gates/token-bucket-gate';
import { decodeWal } from '../../../lib/runtime/protocol/wal-codec';
import { CrashInjector, deliverUntilCommitted, InjectedCrash } from '../../helpers/crash-injector';
import { FakeClock } from '../../helpers/fake-clock';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';

const APP = 'wc';
const compiled = compilePipeline(wordCount as never);

function setup(options: { checkpoints?: CheckpointStore; objects?: ObjectStore } = {}) {
  const checkpoints = options.checkpoints ?? new MemoryCheckpointStore();
  const objects = options.objects ?? new MemoryObjectStore();
  const clock = new FakeClock({ startMs: 1_700_000_000_000 });
  const make = (overrides: { checkpoints?: CheckpointStore; objects?: ObjectStore; rateGate?: RateGate; maxRatePerShard?: number } = {}) =>
    new MicroBatchProcessor({
      app: APP,
      pipeline: compiled,
      checkpoints: overrides.checkpoints ?? checkpoints,
      objects: overrides.objects ?? objects,
      clock,
      rateGate: overrides.rateGate,
      maxRatePerShard: overrides.maxRatePerShard,
    });
  const state = async () => stateToJson(await readMergedState(checkpoints, objects, APP, compiled));
  return { checkpoints, objects, clock, make, state };
}

describe('MicroBatchProcessor', () => {
  describe('process', () => {
    it('commits state and offsets of a batch in one step', async () => {
      // Prepare
      const { make, state, checkpoints } = setup();
      const lines = ['a b', 'b c  c', ''];
      // Act
      const result = await make().process({ shardId: 's1', records: recordsOf(lines) });
      // Assess
      expect(result.batches).toHaveLength(1);
      expect(result.committedSeq).toBe('3');
      expect(await state()).toEqual(countWords(lines));
      const cp = await checkpoints.get(StorageKeys.shardPartition(APP, 's1'), StorageKeys.CHECKPOINT_SK);
      expect(cp?.version).toBe(1);
    });

    it('changes state exactly once when the same batch is delivered twice', async () => {
      const { make, state } = setup();
      const records = recordsOf(sampleLines(50));
      await make().process({ shardId: 's1', records });
      const again = await make().process({ shardId: 's1', records });
      expect(again.batches).toHaveLength(0);
      expect(await state()).toEqual(countWords(sampleLines(50)));
    });

    it('counts each record once when retries cut batches at other boundaries', async () => {
      const { make, state } = setup();
      const lines = sampleLines(100);
      const all = recordsOf(lines);
      const processor = make();
      await processor.process({ shardId: 's1', records: all.slice(0, 30) });
      await processor.process({ shardId: 's1', records: all.slice(10, 70) });
      await make().process({ shardId: 's1', records: all.slice(0, 100) });
      expect(await state()).toEqual(countWords(lines));
    });

    it('changes state exactly once under concurrent invocations of one shard', async () => {
      const { make, state } = setup();
      const lines = sampleLines(200);
      const all = recordsOf(lines);
      const results = await Promise.all([
        make().process({ shardId: 's1', records: all.slice(0, 120) }),
        make().process({ shardId: 's1', records: all.slice(50, 200) }),
        make().process({ shardId: 's1', records: all }),
      ]);
      expect(await state()).toEqual(countWords(lines));
      expect(results.reduce((n, r) => n + r.batches.length, 0)).toBeGreaterThan(0);
    });

    it('fences a stale invocation that read an old checkpoint', async () => {
      // Prepare: a zombie reads batch 0, stalls at its commit while a fresh invocation commits.
      const { make, state, checkpoints } = setup();
      const lines = sampleLines(20);
      const all = recordsOf(lines);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let stalled = false;
      const slow: CheckpointStore = {
        get: (pk, sk) => checkpoints.get(pk, sk),
        query: (pk, p) => checkpoints.query(pk, p),
        transact: async (w) => {
          if (!stalled) {
            stalled = true;
            await gate;
          }
          return checkpoints.transact(w);
        },
      };
      // Act
      const zombie = make({ checkpoints: slow, objects: new MemoryObjectStore() }).process({ shardId: 's1', records: all.slice(0, 10) });
      await new Promise((r) => setTimeout(r, 10));
      await make().process({ shardId: 's1', records: all });
      release();
      const zombieResult = await zombie;
      // Assess
      expect(zombieResult.fenced).toBe(1);
      expect(await state()).toEqual(countWords(lines));
    });

    it('re-runs a batch allocated in the WAL with its own records, then the rest', async () => {
      // Prepare: attempt 1 allocates batch 1 (records 1-10) and dies before committing.
      const { make, state, checkpoints, objects } = setup();
      const lines = sampleLines(30);
      const all = recordsOf(lines);
      const crash = new CrashInjector(3, 'before'); // read, WAL put, then the commit
      await expect(
        make({ checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects) }).process({ shardId: 's1', records: all.slice(0, 10) }),
      ).rejects.toThrow(InjectedCrash);
      // Act: the retry brings a different boundary.
      const result = await make().process({ shardId: 's1', records: all.slice(5, 30) });
      // Assess
      expect(result.batches.map((b) => [b.batchNo, b.records, b.replayed])).toEqual([
        [1, 10, true],
        [2, 20, false],
      ]);
      expect(await state()).toEqual(countWords(lines));
    });

    it('quarantines records delivered below a batch another attempt allocated, instead of skipping them', async () => {
      // Prepare: an attempt allocated batch 1 from record 5 on (records 1-4 went elsewhere) and died.
      const { make, state, checkpoints, objects } = setup();
      const lines = sampleLines(10);
      const all = recordsOf(lines);
      const crash = new CrashInjector(3, 'before');
      await expect(
        make({ checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects) }).process({ shardId: 's1', records: all.slice(4) }),
      ).rejects.toThrow(InjectedCrash);
      // Act: a delivery that starts at record 1 meets the WAL batch 5-10.
      const result = await make().process({ shardId: 's1', records: all });
      // Assess: 5-10 counted once; 1-4 not counted, but durably set aside with the reason.
      expect(result.committedSeq).toBe('10');
      expect(await state()).toEqual(countWords(lines.slice(4)));
      const keys = await objects.list('quarantine/wc/s1/');
      const entries = await Promise.all(keys.map(async (k) => JSON.parse(new TextDecoder().decode(await objects.get(k)))));
      expect(entries.map((e) => [e.seq, e.stage])).toEqual([
        ['1', 'out-of-order'],
        ['2', 'out-of-order'],
        ['3', 'out-of-order'],
        ['4', 'out-of-order'],
      ]);
      expect(entries[0].reason).toMatch(/allocated without it/);
    });

    it('recovers exact counts after a crash before or after every port call', async () => {
      const lines = sampleLines(60, 7);
      const all = recordsOf(lines);
      const deliveries = [all.slice(0, 25), all.slice(20, 45), all.slice(40, 60)];
      for (const when of ['before', 'after'] as const) {
        for (let crashAt = 1; crashAt <= 20; crashAt++) {
          const { make, state, checkpoints, objects } = setup();
          const crash = new CrashInjector(crashAt, when);
          const faulty = make({ checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects) });
          // Like the ESM: retry the same delivery until it succeeds, on a fresh instance after a crash.
          await deliverUntilCommitted(faulty, () => make(), deliveries);
          expect(await state(), `crash ${when} call ${crashAt}`).toEqual(countWords(lines));
        }
      }
    });

    it('quarantines a record the pipeline throws on and commits the rest', async () => {
      const strict = compilePipeline(
        pipeline('strict')
          .map((line) => {
            if (line.includes('poison')) throw new Error('cannot handle poison');
            return line;
          })
          .countByValue()
          .updateStateByKey<string, number, number>((c, t = 0) => t + c.reduce((a, b) => a + b, 0)) as never,
      );
      const checkpoints = new MemoryCheckpointStore();
      const objects = new MemoryObjectStore();
      const processor = new MicroBatchProcessor({ app: 'strict', pipeline: strict, checkpoints, objects, clock: new FakeClock() });
      const result = await processor.process({ shardId: 's1', records: recordsOf(['ok', 'poison pill', 'ok']) });
      const state = stateToJson(await readMergedState(checkpoints, objects, 'strict', strict));
      expect(state).toEqual({ ok: 2 });
      expect(result.batches[0]!.quarantined).toBe(1);
      const keys = await objects.list('quarantine/strict/s1/');
      const entries = await Promise.all(keys.map(async (k) => JSON.parse(new TextDecoder().decode(await objects.get(k)))));
      expect(entries).toEqual([expect.objectContaining({ seq: '2', shardId: 's1', batchNo: 1, reason: 'Error: cannot handle poison' })]);
    });

    it('quarantines a record that is not valid UTF-8', async () => {
      const { make, objects } = setup();
      const bad = { seq: '1', arrivalMs: 0, partitionKey: 'p', data: new Uint8Array([0x61, 0xff, 0xfe]) };
      const result = await make().process({ shardId: 's1', records: [bad, ...recordsOf(['fine'], 2)] });
      expect(result.batches[0]!.quarantined).toBe(1);
      const [key] = await objects.list('quarantine/');
      expect(JSON.parse(new TextDecoder().decode(await objects.get(key!)))).toMatchObject({
        seq: '1',
        stage: 'decode',
        reason: expect.stringContaining('not valid UTF-8'),
      });
    });

    it('defers the records over the rate limit to a later batch', async () => {
      const { make, state } = setup();
      const lines = sampleLines(10);
      const gate: RateGate = ({ wanted }) => ({ granted: Math.min(wanted, 4), limiter: { tokens: 0, updatedAtMs: 0 } });
      const result = await make({ rateGate: gate, maxRatePerShard: 4 }).process({ shardId: 's1', records: recordsOf(lines) });
      expect(result.deferredFromSeq).toBe('5');
      expect(result.committedSeq).toBe('4');
      expect(await state()).toEqual(countWords(lines.slice(0, 4)));
    });

    it('defers every record when the rate limit grants none, so the ESM redelivers them', async () => {
      // Prepare: the first call spends the whole allowance; the clock does not move.
      const { make, state } = setup();
      const lines = sampleLines(8);
      const all = recordsOf(lines);
      const processor = make({ rateGate: tokenBucketGate(), maxRatePerShard: 5 });
      await processor.process({ shardId: 's1', records: all.slice(0, 5) });
      // Act
      const result = await processor.process({ shardId: 's1', records: all.slice(5) });
      // Assess: nothing committed, and the ESM is told to resend from the first record.
      expect(result.batches).toHaveLength(0);
      expect(result.committedSeq).toBe('5');
      expect(result.deferredFromSeq).toBe('6');
      expect(await state()).toEqual(countWords(lines.slice(0, 5)));
    });

    it('refuses the records of another source under the same shard, naming both, and commits nothing', async () => {
      // Prepare: offsets of one file; then a second file whose line numbers are the same sequence numbers.
      const { make, state, checkpoints } = setup();
      await make().process({ shardId: 'file-0', records: recordsOf(['a b', 'c']), sourceId: 'file:/data/monday.txt' });
      // Act
      const other = make().process({ shardId: 'file-0', records: recordsOf(['x y', 'z', 'w']), sourceId: 'file:/data/tuesday.txt' });
      // Assess
      await expect(other).rejects.toThrow(ConfigError);
      await expect(make().process({ shardId: 'file-0', records: recordsOf(['x']), sourceId: 'file:/data/tuesday.txt' })).rejects.toThrow(
        'source: shard file-0 of app wc holds the offsets of file:/data/monday.txt (committed up to 2), not of file:/data/tuesday.txt',
      );
      expect(await state()).toEqual(countWords(['a b', 'c']));
      const cp = JSON.parse((await checkpoints.get(StorageKeys.shardPartition(APP, 'file-0'), StorageKeys.CHECKPOINT_SK))!.data) as {
        sourceId: string;
        batchNo: number;
      };
      expect(cp).toMatchObject({ sourceId: 'file:/data/monday.txt', batchNo: 1 });
    });

    it('adopts the source of a checkpoint that has none', async () => {
      // Prepare: a checkpoint from before sources were recorded.
      const { make, checkpoints } = setup();
      await make().process({ shardId: 's1', records: recordsOf(['a']) });
      // Act
      await make().process({ shardId: 's1', records: recordsOf(['b'], 2), sourceId: 'arn:aws:kinesis:us-east-1:000000000000:stream/words' });
      // Assess
      const cp = JSON.parse((await checkpoints.get(StorageKeys.shardPartition(APP, 's1'), StorageKeys.CHECKPOINT_SK))!.data) as { sourceId: string };
      expect(cp.sourceId).toBe('arn:aws:kinesis:us-east-1:000000000000:stream/words');
    });

    it('rejects a checkpoint written by a pipeline with another state layout', async () => {
      const { make, checkpoints, objects } = setup();
      await make().process({ shardId: 's1', records: recordsOf(['x']) });
      const other = compilePipeline(
        pipeline('wc')
          .countByValue()
          .updateStateByKey((v: number[]) => v.length, { name: 'renamed' }) as never,
      );
      const processor = new MicroBatchProcessor({ app: APP, pipeline: other, checkpoints, objects, clock: new FakeClock() });
      await expect(processor.process({ shardId: 's1', records: recordsOf(['y'], 2) })).rejects.toThrow(GraphMismatchError);
    });
  });

  describe('tick', () => {
    /** Counts per word over 2 s tumbling windows of arrival time, each window's counts sent to `windows`. */
    function windowed() {
      const windows: Array<{ batchNo: number; endMs: number; value: unknown }> = [];
      const stream = pipeline('win')
        .map((word) => [word, 1] as [string, number])
        .reduceByKeyAndWindow((a, b) => a + b, { windowMs: 2_000, slideMs: 2_000 })
        .foreachBatch((ws, info) => {
          for (const w of ws) windows.push({ batchNo: info.batchNo, endMs: w.endMs, value: w.value });
        });
      const checkpoints = new MemoryCheckpointStore();
      const objects = new MemoryObjectStore();
      const clock = new FakeClock({ startMs: 50_000 });
      const make = (o: { checkpoints?: CheckpointStore; objects?: ObjectStore } = {}) =>
        new MicroBatchProcessor({
          app: 'win',
          pipeline: compilePipeline(stream as never),
          checkpoints: o.checkpoints ?? checkpoints,
          objects: o.objects ?? objects,
          clock,
        });
      const checkpoint = async () =>
        JSON.parse((await checkpoints.get(StorageKeys.shardPartition('win', 's1'), StorageKeys.CHECKPOINT_SK))!.data) as {
          batchNo: number;
          committedSeq: string;
        };
      return { windows, make, objects, checkpoints, checkpoint };
    }
    // Arrivals at 10.0 s, 10.5 s and 11.0 s: all in the window [10 s, 12 s).
    const words = (from = 1) => recordsOf(['ant', 'bee', 'ant'], from).map((r, i) => ({ ...r, arrivalMs: 10_000 + i * 500 }));

    /** How many port calls a tick at 12.5 s makes on a fresh instance after `words()`: its last is the commit. */
    async function callsOfTick(): Promise<number> {
      const probe = windowed();
      await probe.make().process({ shardId: 's1', records: words() });
      const counter = new CrashInjector(Number.MAX_SAFE_INTEGER, 'before');
      await probe.make({ checkpoints: counter.checkpoints(probe.checkpoints), objects: counter.objects(probe.objects) }).idleTick('s1', 12_500);
      return counter.calls;
    }

    it('closes the windows of a quiet source, keeping the offsets, in a batch allocated in the WAL', async () => {
      // Prepare: the records alone cannot close their window (nothing arrived after it).
      const { windows, make, objects, checkpoint } = windowed();
      const processor = make();
      await processor.process({ shardId: 's1', records: words() });
      expect(windows).toEqual([]);
      // Act: the source had nothing at 12.5 s.
      const tick = await processor.idleTick('s1', 12_500);
      // Assess
      expect(tick).toMatchObject({ batchNo: 2, records: 0 });
      expect(windows).toEqual([
        {
          batchNo: 2,
          endMs: 12_000,
          value: [
            ['ant', 2],
            ['bee', 1],
          ],
        },
      ]);
      expect(await checkpoint()).toMatchObject({ batchNo: 2, committedSeq: '3' });
      const wal = decodeWal('k', (await objects.get(StorageKeys.walKey('win', 's1', 2)))!);
      expect(wal.header).toMatchObject({ count: 0, firstSeq: '3', lastSeq: '3', idleAtMs: 12_500 });
    });

    it('runs nothing when no window would close, and on a pipeline without arrival-time windows', async () => {
      // Prepare
      const { windows, make, objects } = windowed();
      const processor = make();
      await processor.process({ shardId: 's1', records: words() });
      const counts = setup();
      await counts.make().process({ shardId: 's1', records: recordsOf(['a b']) });
      // Act: idle at 11.5 s is still inside the window; word count has no window at all.
      const early = await processor.idleTick('s1', 11_500);
      const wordCountTick = await counts.make().idleTick('s1', 99_000);
      // Assess
      expect(early).toBeUndefined();
      expect(wordCountTick).toBeUndefined();
      expect(windows).toEqual([]);
      expect(await objects.list(StorageKeys.walKey('win', 's1', 2))).toEqual([]);
      expect(await counts.objects.list(StorageKeys.walKey(APP, 's1', 2))).toEqual([]);
    });

    it('does not run a second time when retried after its commit', async () => {
      // Prepare: the tick commits, then its invocation dies before it can report.
      const { windows, make, checkpoints, objects, checkpoint } = windowed();
      await make().process({ shardId: 's1', records: words() });
      const crash = new CrashInjector(await callsOfTick(), 'after');
      await expect(make({ checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects) }).idleTick('s1', 12_500)).rejects.toThrow(
        InjectedCrash,
      );
      // Act
      const retried = await make().idleTick('s1', 12_500);
      // Assess
      expect(retried).toBeUndefined();
      expect(windows.map((w) => w.batchNo)).toEqual([2]);
      expect((await checkpoint()).batchNo).toBe(2);
    });

    it('reads again when a batch commits between its checkpoint read and its state read', async () => {
      // Prepare: another container commits a batch of records right after the tick read the checkpoint.
      const { windows, make, objects, checkpoint } = windowed();
      await make().process({ shardId: 's1', records: words() });
      const other = make();
      let raced = false;
      const racing: ObjectStore = {
        putIfAbsent: (key, body) => objects.putIfAbsent(key, body),
        getRange: (key, start, end) => objects.getRange(key, start, end),
        list: (prefix) => objects.list(prefix),
        delete: (key) => objects.delete(key),
        get: async (key) => {
          if (key.startsWith(StorageKeys.statePrefix('win')) && !raced) {
            raced = true;
            await other.process({ shardId: 's1', records: recordsOf(['cat'], 4).map((r) => ({ ...r, arrivalMs: 11_800 })) });
          }
          return objects.get(key);
        },
      };
      // Act: a fresh container, so the tick must load the state it checks.
      const tick = await make({ objects: racing }).idleTick('s1', 12_500);
      // Assess: the tick ran on the state after that batch, as batch 3.
      expect(raced).toBe(true);
      expect(tick).toMatchObject({ batchNo: 3, records: 0 });
      expect(windows.map((w) => ({ ...w, value: [...(w.value as Array<[string, number]>)].sort() }))).toEqual([
        {
          batchNo: 3,
          endMs: 12_000,
          value: [
            ['ant', 2],
            ['bee', 1],
            ['cat', 1],
          ],
        },
      ]);
      expect(await checkpoint()).toMatchObject({ batchNo: 3, committedSeq: '4' });
    });

    it('is re-run as allocated before the next records when its attempt died before the commit', async () => {
      // Prepare: the tick is allocated as batch 2, and its invocation dies before committing.
      const { windows, make, checkpoints, objects, checkpoint } = windowed();
      await make().process({ shardId: 's1', records: words() });
      const crash = new CrashInjector(await callsOfTick(), 'before');
      await expect(make({ checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects) }).idleTick('s1', 12_500)).rejects.toThrow(
        InjectedCrash,
      );
      // Act: new records come before any other tick.
      const later = recordsOf(['cat'], 4).map((r) => ({ ...r, arrivalMs: 13_000 }));
      const result = await make().process({ shardId: 's1', records: later });
      // Assess: batch 2 is the tick, re-run as it was; batch 3 the new record.
      expect(result.batches.map((b) => [b.batchNo, b.records, b.replayed])).toEqual([
        [2, 0, true],
        [3, 1, false],
      ]);
      // The dead attempt emitted too, with the same batch id and windows: an idempotent sink keeps one.
      expect(windows).toEqual(
        Array(2).fill({
          batchNo: 2,
          endMs: 12_000,
          value: [
            ['ant', 2],
            ['bee', 1],
          ],
        }),
      );
      expect(await checkpoint()).toMatchObject({ batchNo: 3, committedSeq: '4' });
    });
  });
});
