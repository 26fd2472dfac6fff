import { CorruptDataError } from '../../core/errors';
import type { ObjectStore } from '../../ports/object-store';
import { StorageKeys } from './storage-keys';
import { decodeWal, type WalBatch } from './wal-codec';

/**
 * Reads and decodes WAL batch `batchNo` of a shard, checking that it holds the batch its key names.
 * @throws CorruptDataError naming the key when it is gone, does not decode, or holds another batch.
 */
export async function readWalBatch(objects: ObjectStore, app: string, shardId: string, batchNo: number): Promise<WalBatch> {
  const key = StorageKeys.walKey(app, shardId, batchNo);
  const body = await objects.get(key);
  if (body === undefined) throw new CorruptDataError(key, "the WAL object is gone (deleted, or expired by the bucket's lifecycle rule)");
  const batch = decodeWal(key, body);
  const h = batch.header;
  if (h.app !== app || h.shard !== shardId || h.batchNo !== batchNo)
    throw new CorruptDataError(key, `holds batch ${h.batchNo} of ${h.app}/${h.shard}, not the batch its key names`);
  return batch;
}
