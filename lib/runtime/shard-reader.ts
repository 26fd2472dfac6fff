import type { CompiledPipeline } from '../core/engine/compile-pipeline';
import { GraphMismatchError, ReadRaceError } from '../core/errors';
import type { OperatorState } from '../core/state/operator-state';
import type { CheckpointStore } from '../ports/checkpoint-store';
import { parseRecord, type CheckpointRecord, type ControlRecord } from './checkpoint-record';
import { StorageKeys } from './storage-keys';

/** What step 1 of the protocol read for a shard. */
export interface ShardSnapshot {
  readonly shardId: string;
  readonly checkpoint: CheckpointRecord | undefined;
  readonly control: ControlRecord | undefined;
}

interface CachedState {
  readonly states: Map<string, OperatorState>;
  readonly versions: Record<string, number[]>;
}

/**
 * Step 1 of the protocol: reads a shard's checkpoint and control items in one consistent query, and
 * keeps the shard's state buckets warm between batches. A bucket is (re)loaded only when the
 * checkpoint says it changed since the cached copy, and a loaded bucket must carry exactly the
 * version the checkpoint names, or the read raced a commit and is retried.
 */
export class ShardReader {
  readonly #app: string;
  readonly #pipeline: CompiledPipeline;
  readonly #store: CheckpointStore;
  readonly #cache = new Map<string, CachedState>();

  constructor(app: string, pipeline: CompiledPipeline, store: CheckpointStore) {
    this.#app = app;
    this.#pipeline = pipeline;
    this.#store = store;
  }

  async read(shardId: string): Promise<ShardSnapshot> {
    const pk = StorageKeys.shardPartition(this.#app, shardId);
    const items = await this.#store.query(pk, StorageKeys.META_PREFIX);
    const cpItem = items.find((i) => i.sk === StorageKeys.CHECKPOINT_SK);
    const ctlItem = items.find((i) => i.sk === StorageKeys.CONTROL_SK);
    const checkpoint = cpItem && parseRecord<CheckpointRecord>(`${pk}/${cpItem.sk}`, cpItem.data);
    if (checkpoint !== undefined && checkpoint.stateLayout !== this.#pipeline.stateLayout) {
      throw new GraphMismatchError(
        `app ${this.#app}, shard ${shardId}: the checkpoint holds state for operators [${checkpoint.stateLayout}] but this pipeline has [${this.#pipeline.stateLayout}]. ` +
          'Run it under a new app name (or checkpoint directory), or go back to the pipeline that wrote it.',
      );
    }
    return { shardId, checkpoint, control: ctlItem && parseRecord<ControlRecord>(`${pk}/${ctlItem.sk}`, ctlItem.data) };
  }

  /** The shard's operator states as of `snapshot`, loading only the buckets that changed. */
  async states(snapshot: ShardSnapshot): Promise<Map<string, OperatorState>> {
    const wanted = snapshot.checkpoint?.bucketVersions ?? {};
    let cached = this.#cache.get(snapshot.shardId);
    if (cached === undefined) {
      cached = { states: this.#pipeline.createStates(), versions: {} };
      for (const op of this.#pipeline.statefulOperators) cached.versions[op.id] = new Array<number>(op.bucketCount).fill(0);
      this.#cache.set(snapshot.shardId, cached);
    }
    const stale: Array<{ op: string; bucket: number; version: number }> = [];
    for (const op of this.#pipeline.statefulOperators) {
      const want = wanted[op.id] ?? [];
      const have = cached.versions[op.id]!;
      for (let b = 0; b < op.bucketCount; b++) if ((want[b] ?? 0) !== have[b]) stale.push({ op: op.id, bucket: b, version: want[b] ?? 0 });
    }
    if (stale.length > 0) await this.#load(snapshot.shardId, cached, stale);
    return cached.states;
  }

  async #load(shardId: string, cached: CachedState, stale: Array<{ op: string; bucket: number; version: number }>): Promise<void> {
    const pk = StorageKeys.shardPartition(this.#app, shardId);
    const items = await this.#store.query(pk, StorageKeys.STATE_PREFIX);
    const byKey = new Map(items.map((i) => [i.sk, i]));
    for (const { op, bucket, version } of stale) {
      const state = cached.states.get(op)!;
      const item = byKey.get(StorageKeys.stateSk(op, bucket));
      if (version === 0) {
        state.loadBucket(bucket, '[]');
      } else if (item === undefined || item.version !== version) {
        this.#cache.delete(shardId);
        throw new ReadRaceError(`shard ${shardId}: state bucket ${op}/${bucket} is at version ${item?.version ?? 'none'}, the checkpoint says ${version}; a commit raced this read`);
      } else {
        state.loadBucket(bucket, item.data);
      }
      cached.versions[op]![bucket] = version;
    }
    for (const state of cached.states.values()) state.clearDirty();
  }

  /** Records a successful commit: the in-memory state now matches `checkpoint`. */
  committed(shardId: string, checkpoint: CheckpointRecord, states: Map<string, OperatorState>): void {
    const versions: Record<string, number[]> = {};
    for (const [op, v] of Object.entries(checkpoint.bucketVersions)) versions[op] = [...v];
    for (const s of states.values()) s.clearDirty();
    this.#cache.set(shardId, { states, versions });
  }

  /** Drops a shard's cached state (after a failed or fenced attempt mutated it). */
  forget(shardId: string): void {
    this.#cache.delete(shardId);
  }

  forgetAll(): void {
    this.#cache.clear();
  }
}
