import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { CorruptDataError } from '../../../lib/core/errors';
import { readCheckpoint, readCommittedSeq } from '../../../lib/runtime/protocol/checkpoint-record';
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
});
