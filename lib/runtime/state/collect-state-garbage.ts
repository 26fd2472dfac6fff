import type { ObjectStore } from '../../ports/object-store';
import { StorageKeys } from '../storage-keys';
import { mapLimit } from './load-state';

/** Deletes at once: S3 DELETEs cost nothing, but each is a round trip. */
const DELETE_CONCURRENCY = 8;

/**
 * Deletes the shard's state objects of batches before `snapshotBatchNo`, once a committed
 * checkpoint names the snapshot of that batch: no current or later manifest refers to them, so a
 * commit never points at a deleted object (docs/decisions/0008). Also sweeps objects no manifest
 * ever named (a crashed attempt's, a zombie's late write). A reader still loading an older manifest
 * finds an object gone and reads the checkpoint again. Returns how many objects it deleted.
 */
export async function collectStateGarbage(objects: ObjectStore, app: string, shardId: string, snapshotBatchNo: number): Promise<number> {
  const keys = (await objects.list(StorageKeys.statePrefix(app, shardId))).filter((key) => {
    const batchNo = StorageKeys.batchNoOfStateKey(key);
    return batchNo !== undefined && batchNo < snapshotBatchNo;
  });
  await mapLimit(keys, DELETE_CONCURRENCY, (key) => objects.delete(key));
  return keys.length;
}
