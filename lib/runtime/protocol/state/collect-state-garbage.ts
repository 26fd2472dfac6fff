import type { ObjectStore } from '../../../ports/object-store';
import { mapLimited } from '../map-limited';
import { StorageKeys } from '../storage-keys';
import { deltaBatchNos, deltaTag, type StateManifest } from './state-manifest';

/** Deletes at once: S3 DELETEs cost nothing, but each is a round trip. */
const DELETE_CONCURRENCY = 8;

/** A full sweep (a LIST of the shard's state objects) once every so many batches, for objects no manifest named. */
export const STATE_SWEEP_EVERY_BATCHES = 100;

/**
 * Deletes what a committed snapshot of batch `snapshotBatchNo` superseded: the objects the previous
 * manifest named (its snapshot and deltas: their keys are known, no LIST needed). No current or
 * later manifest names them, so a commit never points at a deleted object (docs/decisions/0008); a
 * reader still loading the previous manifest finds an object gone and reads the checkpoint again.
 *
 * Objects no manifest ever named (a crashed attempt's without a WAL, a zombie's late write of a
 * swept delta) are found by listing the shard's prefix: when `sweep` is set, which the processor
 * does once every {@link STATE_SWEEP_EVERY_BATCHES} batches and after a batch it re-ran from the
 * WAL (the sign of a crash). Returns how many objects it deleted.
 */
export async function collectStateGarbage(
  objects: ObjectStore,
  app: string,
  shardId: string,
  snapshotBatchNo: number,
  previous: StateManifest | undefined,
  sweep: boolean,
): Promise<number> {
  const named = previous === undefined ? [] : supersededKeys(app, shardId, previous);
  let keys = named;
  if (sweep) {
    const listed = (await objects.list(StorageKeys.statePrefix(app, shardId))).filter((key) => {
      const batchNo = StorageKeys.batchNoOfStateKey(key);
      return batchNo !== undefined && batchNo < snapshotBatchNo;
    });
    keys = [...new Set([...named, ...listed])];
  }
  await mapLimited(keys, DELETE_CONCURRENCY, (key) => objects.delete(key));
  return keys.length;
}

/** True when batch `snapshotBatchNo`'s snapshot should also sweep by listing (see {@link collectStateGarbage}). */
export function sweepDue(snapshotBatchNo: number, previousSnapshotBatchNo: number, replayed: boolean): boolean {
  return replayed || Math.floor(snapshotBatchNo / STATE_SWEEP_EVERY_BATCHES) > Math.floor(previousSnapshotBatchNo / STATE_SWEEP_EVERY_BATCHES);
}

function supersededKeys(app: string, shardId: string, manifest: StateManifest): string[] {
  const keys = deltaBatchNos(manifest).map((n) => StorageKeys.stateKey(app, shardId, n, 'delta', deltaTag(manifest, n)));
  if (manifest.snapshot !== undefined) keys.unshift(StorageKeys.stateKey(app, shardId, manifest.snapshot.batchNo, 'snapshot', manifest.snapshot.tag));
  return keys;
}
