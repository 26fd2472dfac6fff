import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { CorruptDataError } from '../../../lib/core/errors';
import {
  parseCheckpoint,
  readCheckpoint,
  readCommittedSeq,
  type CheckpointExchange,
  type CheckpointRecord,
  type CheckpointTotals,
} from '../../../lib/runtime/protocol/checkpoint-record';
import type { SnapshotRef, StateManifest } from '../../../lib/runtime/protocol/state/state-manifest';
import type { OriginMark } from '../../../lib/core/exchange/exchange-receiver';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { decodeWal, encodeWal, type WalHeader } from '../../../lib/runtime/protocol/wal-codec';

const GOOD = {
  batchNo: 2,
  committedSeq: '20',
  stateLayout: 'totals',
  limiter: { tokens: 3, updatedAtMs: 1_000 },
  lastBatch: { records: 10, processingMs: 5, quarantined: 0, quarantinedElements: 0, schedulingDelayMs: 1, batchTimeMs: 1_000 },
  updatedAtMs: 1_000,
};

async function storeWith(data: unknown): Promise<MemoryCheckpointStore> {
  const store = new MemoryCheckpointStore();
  await store.transact([
    { kind: 'put', item: { pk: StorageKeys.shardPartition('wc', 's1'), sk: StorageKeys.CHECKPOINT_SK, version: 2, data: JSON.stringify(data) } },
  ]);
  return store;
}

describe('checkpoint schemas', () => {
  it('reads a checkpoint that matches its schema, typed, and its committed sequence number', async () => {
    const store = await storeWith(GOOD);
    expect(await readCheckpoint(store, 'wc', 's1')).toEqual(GOOD);
    expect(await readCommittedSeq(store, 'wc', 's1')).toBe('20');
    expect(await readCommittedSeq(new MemoryCheckpointStore(), 'wc', 's1')).toBeNull();
  });

  it.each([
    ['a lastBatch whose count is not a number', { ...GOOD, lastBatch: { ...GOOD.lastBatch, records: 'ten' } }, /lastBatch\.records/],
    ['a limiter of neither shape', { ...GOOD, limiter: { used: true } }, /limiter/],
    ['no committed sequence number', { ...GOOD, committedSeq: undefined }, /committedSeq/],
  ])('refuses %s with a CorruptDataError naming the field', async (_name, data, field) => {
    const store = await storeWith(data);
    const read = readCheckpoint(store, 'wc', 's1');
    await expect(read).rejects.toThrow(CorruptDataError);
    await expect(readCheckpoint(store, 'wc', 's1')).rejects.toThrow(field);
  });

  it('refuses a WAL header whose limiter state has another shape, naming the object', () => {
    const header = {
      app: 'wc',
      shard: 's1',
      batchNo: 1,
      firstSeq: '1',
      lastSeq: '1',
      count: 0,
      createdAt: 0,
      limiter: { scheduledUntilMs: 'soon' },
    } as unknown as WalHeader;
    expect(() => decodeWal('wal/wc/s1/1', encodeWal({ header, records: [] }))).toThrow(/^wal\/wc\/s1\/1: WAL header does not match its schema: limiter/);
  });

  it('keeps every field a writer sets, through the checkpoint and WAL schemas (a field the schema does not name would be dropped on read)', () => {
    // `Required<…>` makes this fail to compile when a field is added to a record without being added here;
    // the round trip then fails until the schema names it too.
    const snapshot: Required<SnapshotRef> = { batchNo: 3, bytes: 400, keys: 12, rawBytes: 900, tag: 't3' };
    const state: Required<StateManifest> = { snapshot, deltas: [[4, 6]], deltaBytes: 120, tags: { '5': 't5' }, keys: 14 };
    const totals: Required<CheckpointTotals> = { batches: 6, records: 60, processingMs: 30, quarantined: 1, quarantinedElements: 2 };
    const mark: Required<OriginMark> = {
      complete: 4,
      watermarkMs: 1_500,
      ended: false,
      current: { batchNo: 5, count: 3, seen: [0, 2], watermarkMs: 1_600, end: true, children: ['s7', 's8'], eventMs: 1_450 },
      events: [
        [1_400, 1_300],
        [1_500, 1_420],
      ],
    };
    const exchange: Required<CheckpointExchange> = {
      received: { s0: mark, s1: { complete: 0, watermarkMs: null } },
      sentWatermarkMs: 1_700,
      sentEventMs: 1_650,
      ended: true,
      sentPartitions: 4,
      partition: [2, 4],
      inheritedFrom: 's3',
    };
    const full: Required<CheckpointRecord> = {
      batchNo: 6,
      committedSeq: '60',
      stateLayout: 'totals',
      state,
      limiter: { scheduledUntilMs: 2_000, lastGateMs: 1_900 },
      lastBatch: {
        records: 10,
        processingMs: 5,
        quarantined: 1,
        quarantinedElements: 2,
        schedulingDelayMs: 1,
        millisBehind: 7,
        rateLimit: 100,
        batchTimeMs: 1_000,
        replayed: true,
      },
      totals,
      tickDueAtMs: 2_500,
      recordsCommittedAtMs: 1_000,
      sourceId: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
      updatedAtMs: 1_000,
      exchange,
    };
    expect(parseCheckpoint('wc#s1/meta#checkpoint', JSON.stringify(full))).toEqual(full);

    const header: Required<WalHeader> = {
      app: 'wc',
      shard: 's1',
      batchNo: 7,
      firstSeq: '60',
      lastSeq: '60',
      count: 0,
      createdAt: 1_000,
      limiter: { tokens: 3, updatedAtMs: 1_000 },
      rateLimit: 100,
      idleAtMs: 1_000,
      endOfInput: true,
      children: ['s2', 's3'],
      origins: ['s0', 's1'],
    };
    expect(decodeWal('wal/wc/s1/7', encodeWal({ header, records: [] })).header).toEqual(header);
  });
});
