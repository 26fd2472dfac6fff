import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { pipeline } from '../../../lib/core/pipeline/stream';
import { CorruptDataError } from '../../../lib/core/errors';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { replayWal } from '../../../lib/runtime/tools/replay';
import { readReplayStatus } from '../../../lib/runtime/tools/replay-status';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { encodeWal } from '../../../lib/runtime/protocol/wal-codec';
import { CrashInjector, InjectedCrash } from '../../helpers/crash-injector';
import { FakeClock } from '../../helpers/fake-clock';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';

const compiled = compilePipeline(wordCount as never);

/** Runs the original app `wc` over `lines` of each shard, cut into deliveries of the given sizes, 250 ms apart. */
async function runOriginal(shards: Record<string, string[]>, cuts: readonly number[]) {
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const clock = new FakeClock({ startMs: 1_700_000_000_000 });
  const processor = new MicroBatchProcessor({ app: 'wc', pipeline: compiled, checkpoints, objects, clock });
  for (const [shardId, lines] of Object.entries(shards)) {
    const records = recordsOf(lines);
    for (let from = 0, i = 0; from < records.length; i++) {
      const size = cuts[i % cuts.length]!;
      await processor.process({ shardId, records: records.slice(from, from + size) });
      from += size;
      await clock.advance(250);
    }
  }
  return { checkpoints, objects, clock };
}

const stateOf = async (stores: { checkpoints: MemoryCheckpointStore; objects: MemoryObjectStore }, app: string) =>
  stateToJson(await readMergedState(stores.checkpoints, stores.objects, app, compiled));

describe('replayWal', () => {
  it('rebuilds exactly the original state from the whole WAL, whatever the batches were (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 40 }),
        async (cuts, n1, n2) => {
          // Prepare
          const original = await runOriginal({ 's-1': sampleLines(n1, n1), 's-2': sampleLines(n2, n2 + 100) }, cuts);
          const target = { app: 'wc-replayed', checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
          // Act
          const summary = await replayWal({ source: { app: 'wc', objects: original.objects, checkpoints: original.checkpoints }, target, pipeline: compiled });
          // Assess
          expect(await stateOf(target, 'wc-replayed')).toEqual(await stateOf(original, 'wc'));
          expect(summary.records).toBe(n1 + n2);
          expect(summary.committed).toBe(summary.batches);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('replays only the batches whose batch time is in [from, to)', async () => {
    // Prepare: 10 batches of 5 lines, 250 ms apart.
    const lines = sampleLines(50, 3);
    const original = await runOriginal({ 's-1': lines }, [5]);
    const target = { app: 'wc-window', checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    const t0 = 1_700_000_000_000;
    // Act: batches 3 to 6 (batch times t0+500 .. t0+1250).
    const summary = await replayWal({
      source: { app: 'wc', objects: original.objects, checkpoints: original.checkpoints },
      target,
      pipeline: compiled,
      fromMs: t0 + 500,
      toMs: t0 + 1_500,
    });
    // Assess
    expect(summary.batches).toBe(4);
    expect(await stateOf(target, 'wc-window')).toEqual(countWords(lines.slice(10, 30)));
  });

  it('gives every batch the batch time it had, so the same batches emit the same outputs', async () => {
    // Prepare: a pipeline that emits each batch's time with its words.
    const emitted = new Map<string, unknown[]>();
    const timed = compilePipeline(
      pipeline('timed')
        .flatMap((l: string) => l.split(' '))
        .foreachBatch((words, info) => void emitted.set(`${info.app}/${info.batchNo}`, [info.batchTimeMs, ...words]))
        .countByValue()
        .updateStateByKey<string, number, number>((c, t = 0) => t + c.length) as never,
    );
    const objects = new MemoryObjectStore();
    const checkpoints = new MemoryCheckpointStore();
    const clock = new FakeClock({ startMs: 1_000 });
    const processor = new MicroBatchProcessor({ app: 'timed', pipeline: timed, checkpoints, objects, clock });
    for (const chunk of [['a b'], ['c'], ['d e', 'f']]) {
      await processor.process({ shardId: 's', records: recordsOf(chunk, emitted.size * 2 + 1) });
      await clock.advance(1_000);
    }
    // Act
    await replayWal({
      source: { app: 'timed', objects, checkpoints },
      target: { app: 'timed-2', checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() },
      pipeline: timed,
    });
    // Assess
    for (const batchNo of [1, 2, 3]) expect(emitted.get(`timed-2/${batchNo}`)).toEqual(emitted.get(`timed/${batchNo}`));
  });

  it('resumes a replay that crashed before or after any port call without counting anything twice', async () => {
    // Prepare
    const lines = sampleLines(40, 9);
    const original = await runOriginal({ 's-1': lines }, [4, 7]);
    const source = { app: 'wc', objects: original.objects, checkpoints: original.checkpoints };
    for (const when of ['before', 'after'] as const) {
      for (let crashAt = 1; crashAt <= 45; crashAt++) {
        const checkpoints = new MemoryCheckpointStore();
        const objects = new MemoryObjectStore();
        const crash = new CrashInjector(crashAt, when);
        // Act: the first replay dies at the crash; the second one, run again as is, finishes it.
        const first = await replayWal({
          source,
          target: { app: 'wc-r', checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects) },
          pipeline: compiled,
        }).catch((error: unknown) => error);
        await replayWal({ source, target: { app: 'wc-r', checkpoints, objects }, pipeline: compiled });
        // Assess
        if (crash.crashed) expect(first).toBeInstanceOf(InjectedCrash);
        expect(await stateOf({ checkpoints, objects }, 'wc-r'), `crash ${when} call ${crashAt}`).toEqual(countWords(lines));
      }
    }
  });

  it('replays idle ticks as ticks, so the windows they closed close again', async () => {
    // Prepare: counts per 1 s window of arrival time, the last window closed by a tick.
    const windows = (sink: unknown[]) =>
      compilePipeline(
        pipeline('win')
          .countByWindow({ windowMs: 1_000 })
          .foreachBatch((ws, info) => void sink.push([info.batchNo, ws.map((w) => [w.endMs, w.value])])) as never,
      );
    const original: unknown[] = [];
    const checkpoints = new MemoryCheckpointStore();
    const objects = new MemoryObjectStore();
    const clock = new FakeClock({ startMs: 1_700_000_000_000 });
    const processor = new MicroBatchProcessor({ app: 'win', pipeline: windows(original), checkpoints, objects, clock });
    const arrivals = [100, 600, 1_200, 2_100, 2_200];
    await processor.process({ shardId: 's-1', records: recordsOf(['a', 'b', 'c'], 1).map((r, i) => ({ ...r, arrivalMs: arrivals[i]! })) });
    await clock.advance(1_000);
    await processor.process({ shardId: 's-1', records: recordsOf(['d', 'e'], 4).map((r, i) => ({ ...r, arrivalMs: arrivals[i + 3]! })) });
    await clock.advance(1_000);
    const tick = await processor.idleTick('s-1', 3_500);
    expect(tick?.batchNo).toBe(3);
    const replayed: unknown[] = [];
    const target = { app: 'win-replayed', checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    // Act
    const summary = await replayWal({ source: { app: 'win', objects, checkpoints }, target, pipeline: windows(replayed) });
    // Assess
    expect(summary).toMatchObject({ batches: 3, committed: 3, records: 5 });
    expect(original).toEqual([
      [1, [[1_000, 2]]],
      [2, [[2_000, 1]]],
      [3, [[3_000, 2]]],
    ]);
    expect(replayed).toEqual(original);
  });

  it('replays a time range past a missing batch outside it', async () => {
    // Prepare: 10 batches of 5 lines, 250 ms apart; batch 2 deleted.
    const lines = sampleLines(50, 3);
    const original = await runOriginal({ 's-1': lines }, [5]);
    await original.objects.delete(StorageKeys.walKey('wc', 's-1', 2));
    const target = { app: 'wc-late', checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    const source = { app: 'wc', objects: original.objects, checkpoints: original.checkpoints };
    const t0 = 1_700_000_000_000;
    // Act: batches 5 to 10 are after the gap; batches 1 to 4 hold it.
    const summary = await replayWal({ source, target, pipeline: compiled, fromMs: t0 + 1_000 });
    const refused = replayWal({ source, target: { ...target, app: 'wc-early' }, pipeline: compiled, toMs: t0 + 1_000 });
    // Assess
    expect(summary).toMatchObject({ batches: 6, records: 30, committed: 6 });
    await expect(refused).rejects.toThrow(CorruptDataError);
    await expect(refused).rejects.toThrow('wal/wc/s-1/: WAL batch 2 is missing');
  });

  it('names the missing batches of every shard, and writes nothing', async () => {
    // Prepare: two shards; s-1 lost batch 3, s-2 lost its newest (2).
    const original = await runOriginal({ 's-1': sampleLines(20, 1), 's-2': sampleLines(10, 2) }, [5]);
    await original.objects.delete(StorageKeys.walKey('wc', 's-1', 3));
    await original.objects.delete(StorageKeys.walKey('wc', 's-2', 2));
    const source = { app: 'wc', objects: original.objects, checkpoints: original.checkpoints };
    const target = { app: 'wc-r', checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    // Act
    const refused = replayWal({ source, target, pipeline: compiled });
    // Assess
    await expect(refused).rejects.toThrow(
      "wal/wc/: shard s-1: WAL batch 3 is missing (the checkpoint of app wc committed batches up to 4); shard s-2: WAL batch 2 is missing (the checkpoint of app wc committed batches up to 2); replayed without them, app wc-r would not hold the original's state. Nothing was replayed: restore them, or replay a time range without them (--from, --to)",
    );
    expect(await target.objects.list('')).toEqual([]);
    expect(await readReplayStatus(target.checkpoints, 'wc-r')).toBeUndefined();
  });

  it('leaves out a batch allocated after the last commit, which the source app has not counted', async () => {
    // Prepare: 4 committed batches; batch 5 allocated in the WAL, its commit never made.
    const lines = sampleLines(20, 1);
    const original = await runOriginal({ 's-1': lines }, [5]);
    const allocated = recordsOf(['late words'], 21);
    await original.objects.putIfAbsent(
      StorageKeys.walKey('wc', 's-1', 5),
      encodeWal({ header: { app: 'wc', shard: 's-1', batchNo: 5, firstSeq: '21', lastSeq: '21', count: 1, createdAt: 1_700_000_001_000 }, records: allocated }),
    );
    const target = { app: 'wc-r', checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    // Act
    const summary = await replayWal({ source: { app: 'wc', objects: original.objects, checkpoints: original.checkpoints }, target, pipeline: compiled });
    // Assess
    expect(summary).toMatchObject({ batches: 4, records: 20, committed: 4 });
  });

  it('says in the new app whether its replay finished', async () => {
    // Prepare: a replay that dies at its tenth call to the new app's stores.
    const lines = sampleLines(40, 9);
    const original = await runOriginal({ 's-1': lines }, [4]);
    const source = { app: 'wc', objects: original.objects, checkpoints: original.checkpoints };
    const checkpoints = new MemoryCheckpointStore();
    const objects = new MemoryObjectStore();
    const crash = new CrashInjector(10, 'after');
    // Act
    const first = await replayWal({
      source,
      target: { app: 'wc-r', checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects) },
      pipeline: compiled,
    }).catch((error: unknown) => error);
    const stopped = await readReplayStatus(checkpoints, 'wc-r');
    const summary = await replayWal({ source, target: { app: 'wc-r', checkpoints, objects }, pipeline: compiled });
    // Assess
    expect(first).toBeInstanceOf(InjectedCrash);
    expect(stopped).toEqual({ sourceApp: 'wc', complete: false });
    expect(await readReplayStatus(checkpoints, 'wc-r')).toEqual({ sourceApp: 'wc', complete: true, batches: 10 });
    expect(summary).toMatchObject({ batches: 10, records: 40 });
  });
});
