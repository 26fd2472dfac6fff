import { CorruptDataError } from '../../core/errors';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ObjectStore } from '../../ports/object-store';
import type { QuarantineEntry } from '../protocol/quarantine';
import type { AsideMarker, QuarantinedBatch } from './quarantine-batch';
import { parseRecord } from '../protocol/checkpoint-record';
import { StorageKeys } from '../protocol/storage-keys';

/** One stored quarantine entry: a record (or element) set aside, or a whole batch. */
export type QuarantineItem =
  | { readonly key: string; readonly kind: 'record'; readonly entry: QuarantineEntry }
  | { readonly key: string; readonly kind: 'batch'; readonly entry: QuarantinedBatch };

/**
 * Reads the quarantine of `app` (optionally one shard), oldest batch first per shard. A whole-batch
 * entry counts only if its set-aside committed — the `aside#{batchNo}` marker written with the
 * checkpoint names it; entries of a set-aside that lost its commit (the batch committed normally
 * after all) or that hold another cut of the batch are left out, since their records are elsewhere.
 */
export async function readQuarantine(objects: ObjectStore, checkpoints: CheckpointStore, app: string, shardId?: string): Promise<QuarantineItem[]> {
  const prefix = `${StorageKeys.quarantinePrefix(app)}${shardId === undefined ? '' : `${shardId}/`}`;
  const items: QuarantineItem[] = [];
  /** Per shard, the keys of the batch entries whose set-aside committed. */
  const markers = new Map<string, Set<string>>();
  for (const key of await objects.list(prefix)) {
    const body = await objects.get(key);
    if (body === undefined) continue;
    let entry: QuarantineEntry | QuarantinedBatch;
    try {
      entry = JSON.parse(new TextDecoder().decode(body)) as QuarantineEntry | QuarantinedBatch;
    } catch (cause) {
      throw new CorruptDataError(key, 'quarantine entry is not valid JSON', { cause });
    }
    if (entry.stage !== 'batch') {
      items.push({ key, kind: 'record', entry: entry as QuarantineEntry });
      continue;
    }
    let marked = markers.get(entry.shardId);
    if (marked === undefined) {
      const found = await checkpoints.query(StorageKeys.shardPartition(app, entry.shardId), StorageKeys.ASIDE_PREFIX);
      markers.set(entry.shardId, (marked = new Set(found.map((i) => parseRecord<AsideMarker>(`${i.pk}/${i.sk}`, i.data).key))));
    }
    if (marked.has(key)) items.push({ key, kind: 'batch', entry: entry as QuarantinedBatch });
  }
  return items;
}
