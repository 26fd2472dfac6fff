import { describe, expect, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { CorruptDataError, SluiceError } from '../../../lib/core/errors';
import { pipeline } from '../../../lib/core/pipeline/stream';
import type { ObjectStore } from '../../../lib/ports/object-store';
import { BatchRetryPolicy } from '../../../lib/runtime/failures/batch-retry-policy';
import type { CheckpointRecord } from '../../../lib/runtime/protocol/checkpoint-record';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import type { SnapshotPolicy } from '../../../lib/runtime/protocol/state/state-manifest';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { CrashInjector, deliverUntilCommitted } from '../../helpers/crash-injector';
import { FakeClock } from '../../helpers/fake-clock';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';

const APP = 'wc';
const compiled = compilePipeline(wordCount as never);

/** Counts the object store's calls by operation and key prefix. */
function counting(inner: ObjectStore): ObjectStore & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    putIfAbsent: (key, body) => (calls.push(`put ${key}`), inner.putIfAbsent(key, body)),
    get: (key) => (calls.push(`get ${key}`), inner.get(key)),
    getRange: (key, start, end) => (calls.push(`getRange ${key}`), inner.getRange(key, start, end)),
    list: (prefix) => (calls.push(`list ${prefix}`), inner.list(prefix)),
    delete: (key) => (calls.push(`delete ${key}`), inner.delete(key)),
  };
}

function setup(snapshotPolicy: SnapshotPolicy = {}) {
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const clock = new FakeClock({ startMs: 1_700_000_000_000 });
  const make = (o: { objects?: ObjectStore; checkpoints?: MemoryCheckpointStore | ReturnType<CrashInjector['checkpoints']> } = {}) =>
    new MicroBatchProcessor({ app: APP, pipeline: compiled, checkpoints: o.checkpoints ?? checkpoints, objects: o.objects ?? objects, clock, snapshotPolicy });
  const state = async () => stateToJson(await readMergedState(checkpoints, objects, APP, compiled));
  const checkpoint = async () =>
    JSON.parse((await checkpoints.get(StorageKeys.shardPartition(APP, 's1'), StorageKeys.CHECKPOINT_SK))!.data) as CheckpointRecord;
  const stateKeys = async () => (await objects.list(StorageKeys.statePrefix(APP, 's1'))).map((k) => k.slice(StorageKeys.statePrefix(APP, 's1').length));
  return { checkpoints, objects, clock, make, state, checkpoint, stateKeys };
}

/** `n` batches of 10 lines each, as records with consecutive sequence numbers. */
function batchesOf(n: number): Array<ReturnType<typeof recordsOf>> {
  return Array.from({ length: n }, (_, i) => recordsOf(sampleLines(10, i + 1), i * 10 + 1));
}

describe('MicroBatchProcessor state', () => {
  it('writes a snapshot, then a delta per batch, and names them in the checkpoint with the offsets', async () => {
    // Prepare
    const { make, checkpoint, stateKeys, state } = setup({ maxDeltas: 3, deltaRatio: 1_000 });
    const processor = make();
    // Act
    for (const records of batchesOf(3)) await processor.process({ shardId: 's1', records });
    // Assess
    expect(await stateKeys()).toEqual(['00000000000000000001.snapshot', '00000000000000000002.delta', '00000000000000000003.delta']);
    expect((await checkpoint()).state).toMatchObject({ snapshot: { batchNo: 1 }, deltas: [[2, 3]] });
    expect(await state()).toEqual(countWords(batchesOf(3).flatMap((b) => b.map((r) => new TextDecoder().decode(r.data)))));
  });

  it('replaces the chain with a snapshot and deletes the objects it supersedes', async () => {
    // Prepare
    const { make, checkpoint, stateKeys } = setup({ maxDeltas: 2, deltaRatio: 1_000 });
    const processor = make();
    // Act: snapshot 1, deltas 2-3, snapshot 4 (the chain holds 2), delta 5.
    for (const records of batchesOf(5)) await processor.process({ shardId: 's1', records });
    // Assess
    expect(await stateKeys()).toEqual(['00000000000000000004.snapshot', '00000000000000000005.delta']);
    expect((await checkpoint()).state).toMatchObject({ snapshot: { batchNo: 4 }, deltas: [[5, 5]] });
  });

  it('sweeps, once every 100 batches, the state objects no manifest named', async () => {
    // Prepare: a zombie's late delta of a batch a snapshot already superseded.
    const { make, objects, stateKeys } = setup({ maxDeltas: 1, deltaRatio: 1_000 });
    const processor = make();
    const batches = Array.from({ length: 101 }, (_, i) => recordsOf([`w${i}`], i + 1));
    for (const records of batches.slice(0, 5)) await processor.process({ shardId: 's1', records });
    const orphan = StorageKeys.stateKey(APP, 's1', 2, 'delta', 'deadbeef');
    await objects.putIfAbsent(orphan, new Uint8Array([1]));
    // Act
    for (const records of batches.slice(5, 98)) await processor.process({ shardId: 's1', records });
    const before100 = await stateKeys();
    for (const records of batches.slice(98)) await processor.process({ shardId: 's1', records });
    // Assess: kept until the sweep of batch 100's snapshot, which finds it by listing.
    expect(before100).toContain('00000000000000000002-deadbeef.delta');
    expect(await stateKeys()).not.toContain('00000000000000000002-deadbeef.delta');
    expect((await stateKeys()).length).toBeLessThanOrEqual(2);
  });

  it('catches an overtaken warm instance up by reading only the deltas it missed', async () => {
    // Prepare: instance A commits batch 1; instance B commits batches 2 and 3.
    const { make, objects, state } = setup({ maxDeltas: 100, deltaRatio: 1_000 });
    const observed = counting(objects);
    const a = make({ objects: observed });
    const batches = batchesOf(4);
    await a.process({ shardId: 's1', records: batches[0]! });
    const b = make();
    await b.process({ shardId: 's1', records: batches[1]! });
    await b.process({ shardId: 's1', records: batches[2]! });
    observed.calls.length = 0;
    // Act
    await a.process({ shardId: 's1', records: batches[3]! });
    // Assess: A read deltas 2 and 3, not the snapshot.
    expect(observed.calls.filter((c) => c.startsWith('get state/'))).toEqual([
      'get state/wc/s1/00000000000000000002.delta',
      'get state/wc/s1/00000000000000000003.delta',
    ]);
    expect(await state()).toEqual(countWords(batches.flat().map((r) => new TextDecoder().decode(r.data))));
  });

  it('reads again when a newer snapshot replaced the objects it was loading', async () => {
    // Prepare: batches 1-2 (snapshot 1, delta 2); a cold instance starts loading; meanwhile batch 3
    // commits a snapshot and deletes snapshot 1 and delta 2.
    const { make, objects, state } = setup({ maxDeltas: 1, deltaRatio: 1_000 });
    const batches = batchesOf(4);
    const writer = make();
    await writer.process({ shardId: 's1', records: batches[0]! });
    await writer.process({ shardId: 's1', records: batches[1]! });
    let raced = false;
    const racing: ObjectStore = {
      ...counting(objects),
      get: async (key) => {
        if (key.endsWith('.snapshot') && !raced) {
          raced = true;
          await writer.process({ shardId: 's1', records: batches[2]! });
        }
        return objects.get(key);
      },
    };
    // Act
    const result = await make({ objects: racing }).process({ shardId: 's1', records: batches.flat() });
    // Assess: batch 3 (which this instance had allocated: records 21-40) was committed by the other
    // one, from the WAL; this one found its snapshot gone, read the checkpoint again, and had nothing left.
    expect(raced).toBe(true);
    expect(result.batches).toEqual([]);
    expect(result.committedSeq).toBe('40');
    expect(await state()).toEqual(countWords(batches.flat().map((r) => new TextDecoder().decode(r.data))));
  });

  it('stops with one line naming the object when a state object the checkpoint names is lost', async () => {
    // Prepare
    const { make, objects } = setup();
    const batches = batchesOf(2);
    await make().process({ shardId: 's1', records: batches[0]! });
    await objects.delete(StorageKeys.stateKey(APP, 's1', 1, 'snapshot'));
    // Act
    const retry = make().process({ shardId: 's1', records: batches[1]! });
    // Assess
    await expect(retry).rejects.toThrow(CorruptDataError);
    await expect(make().process({ shardId: 's1', records: batches[1]! })).rejects.toThrow(
      'state/wc/s1/00000000000000000001.snapshot: state object is missing, yet the checkpoint of shard s1 at batch 1 names it',
    );
  });

  it('never sets records aside when the state store fails: the batch fails, uncounted, until the store works', async () => {
    // Prepare: the object store refuses every state PUT (say, access denied), then recovers.
    const { checkpoints, objects, clock, state } = setup();
    let broken = true;
    const denying: ObjectStore = {
      ...counting(objects),
      putIfAbsent: async (key, body) => {
        if (broken && key.startsWith('state/')) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
        return objects.putIfAbsent(key, body);
      },
    };
    const policy = new BatchRetryPolicy({ app: APP, pipeline: compiled, checkpoints, objects: denying, clock, maxAttempts: 2 });
    const processor = new MicroBatchProcessor({ app: APP, pipeline: compiled, checkpoints, objects: denying, clock, failurePolicy: policy });
    const records = recordsOf(['a b', 'b']);
    // Act: five failed attempts, more than the bound of 2; then the store recovers.
    for (let i = 0; i < 5; i++) await expect(processor.process({ shardId: 's1', records })).rejects.toThrow('Access Denied');
    broken = false;
    await processor.process({ shardId: 's1', records });
    // Assess: counted once, nothing set aside.
    expect(await state()).toEqual({ a: 1, b: 2 });
    expect(await objects.list('quarantine/')).toEqual([]);
  });

  it('recovers exact counts after a crash before or after every port call, across snapshots, deltas and sweeps', async () => {
    const lines = sampleLines(60, 7);
    const all = recordsOf(lines);
    const deliveries = [all.slice(0, 12), all.slice(10, 25), all.slice(20, 38), all.slice(36, 50), all.slice(45, 60)];
    for (const policy of [{ maxDeltas: 1, deltaRatio: 1_000 }, { maxDeltas: 100, deltaRatio: 1_000 }, {}]) {
      for (const when of ['before', 'after'] as const) {
        for (let crashAt = 1; crashAt <= 45; crashAt++) {
          const { make, state, checkpoints, objects } = setup(policy);
          const crash = new CrashInjector(crashAt, when);
          const faulty = make({ checkpoints: crash.checkpoints(checkpoints), objects: crash.objects(objects) });
          await deliverUntilCommitted(faulty, () => make(), deliveries);
          expect(await state(), `policy ${JSON.stringify(policy)}, crash ${when} call ${crashAt}`).toEqual(countWords(lines));
        }
      }
    }
  });

  it('refuses a state value that JSON cannot hold, naming the operator, and commits nothing', async () => {
    const bigints = compilePipeline(
      pipeline('big')
        .map((w): [string, bigint] => [w, 1n])
        .updateStateByKey<string, bigint, bigint>((vs, s = 0n) => s + vs.reduce((a, b) => a + b, 0n), { name: 'sums' }) as never,
    );
    const checkpoints = new MemoryCheckpointStore();
    const processor = new MicroBatchProcessor({ app: 'big', pipeline: bigints, checkpoints, objects: new MemoryObjectStore(), clock: new FakeClock() });
    const run = processor.process({ shardId: 's1', records: recordsOf(['a']) });
    await expect(run).rejects.toThrow(SluiceError);
    await expect(processor.process({ shardId: 's1', records: recordsOf(['a']) })).rejects.toThrow(/state of operator sums: cannot be stored: .*BigInt/);
    expect(await checkpoints.get(StorageKeys.shardPartition('big', 's1'), StorageKeys.CHECKPOINT_SK)).toBeUndefined();
  });
});
