import type { CheckpointStore } from '../../ports/checkpoint-store';
import { parseCheckpoint } from './checkpoint-record';
import { mapLimited } from './map-limited';
import { sourceMismatchError } from './source-mismatch-error';
import { StorageKeys } from './storage-keys';

/** Options of {@link checkAppSource}. */
export interface CheckAppSourceOptions {
  /** How the refusal says to give the source an app of its own: the option or variable naming the app. */
  readonly appSetting: string;
  /**
   * Read one shard only, on the path of every new container: when `shardId` has a checkpoint the
   * processor checks it before its batch (so nothing is read here), else the first registered shard is
   * read, as every shard of an app holds the offsets of one source. @default - read every shard
   */
  readonly forShard?: string;
}

/**
 * Refuses to run `app` on `sourceId` (a stream's ARN) when a shard of the app holds the offsets of
 * another source: an app moved to another stream would otherwise read the new stream from the old
 * one's positions (the local event source mapping starts there) and skip its records, or mix the
 * new stream's shards into the old stream's state. Called before anything is read: by `sluice dev`
 * and its event source mapping, by the processor function, and by the controller for the stream of
 * its mapping. A checkpoint that names no source (its source has no id) passes.
 *
 * @throws ConfigError naming the shard, both sources and the ways out.
 */
export async function checkAppSource(checkpoints: CheckpointStore, app: string, sourceId: string, options: CheckAppSourceOptions): Promise<void> {
  let shardIds = (await checkpoints.query(StorageKeys.appPartition(app), StorageKeys.SHARD_PREFIX)).map((item) =>
    item.sk.slice(StorageKeys.SHARD_PREFIX.length),
  );
  if (options.forShard !== undefined) shardIds = shardIds.includes(options.forShard) ? [] : shardIds.slice(0, 1);
  const read = await mapLimited(shardIds, READS_IN_FLIGHT, async (shardId) => {
    const pk = StorageKeys.shardPartition(app, shardId);
    const item = await checkpoints.get(pk, StorageKeys.CHECKPOINT_SK);
    return { shardId, checkpoint: item === undefined ? undefined : parseCheckpoint(`${pk}/${item.sk}`, item.data) };
  });
  for (const { shardId, checkpoint } of read) {
    if (checkpoint?.sourceId !== undefined && checkpoint.sourceId !== sourceId)
      throw sourceMismatchError(app, shardId, checkpoint, sourceId, options.appSetting);
  }
}

/** Checkpoints read at once. */
const READS_IN_FLIGHT = 16;
