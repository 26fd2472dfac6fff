import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ObjectStore } from '../../ports/object-store';
import type { ShardPositions, SourceLedger } from '../../ports/source-ledger';
import { parseCheckpoint } from './checkpoint-record';
import { StorageKeys } from './storage-keys';
import { decodeWal } from './wal-codec';

/**
 * The {@link SourceLedger} of an app's stores: positions from the checkpoint item and the WAL object
 * of the next batch; the note in its own item `{app}#{shard}` / `source#note`, written outside the
 * fenced commit. A note may therefore lag the checkpoint by the batches committed since it was
 * written (a crash between the two): sources must treat it as a description of a prefix of what
 * was committed, never as the committed position.
 */
export class CheckpointSourceLedger implements SourceLedger {
  readonly app: string;
  readonly #checkpoints: CheckpointStore;
  readonly #objects: ObjectStore;

  constructor(options: { app: string; checkpoints: CheckpointStore; objects: ObjectStore }) {
    this.app = options.app;
    this.#checkpoints = options.checkpoints;
    this.#objects = options.objects;
  }

  async positions(shardId: string): Promise<ShardPositions> {
    const pk = StorageKeys.shardPartition(this.app, shardId);
    const item = await this.#checkpoints.get(pk, StorageKeys.CHECKPOINT_SK);
    const checkpoint = item === undefined ? undefined : parseCheckpoint(`${pk}/${item.sk}`, item.data);
    const committedSeq = checkpoint?.committedSeq ?? null;
    const walKey = StorageKeys.walKey(this.app, shardId, (checkpoint?.batchNo ?? 0) + 1);
    const pending = await this.#objects.get(walKey);
    const header = pending === undefined ? undefined : decodeWal(walKey, pending).header;
    // An idle tick holds no records: it stands at the committed offset.
    return { committedSeq, takenSeq: header !== undefined && header.count > 0 ? header.lastSeq : committedSeq };
  }

  async note(shardId: string): Promise<string | undefined> {
    return (await this.#checkpoints.get(StorageKeys.shardPartition(this.app, shardId), StorageKeys.SOURCE_NOTE_SK))?.data;
  }

  async keepNote(shardId: string, note: string): Promise<void> {
    await this.#checkpoints.transact([
      { kind: 'put', item: { pk: StorageKeys.shardPartition(this.app, shardId), sk: StorageKeys.SOURCE_NOTE_SK, version: 1, data: note } },
    ]);
  }
}
