import type { CompiledPipeline } from '../../core/engine/compile-pipeline';
import { CorruptDataError, GraphMismatchError, ReadRaceError } from '../../core/errors';
import type { OperatorState } from '../../core/state/operator-state';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ObjectStore } from '../../ports/object-store';
import { parseCheckpoint, parseRecord, type CheckpointRecord, type ControlRecord } from './checkpoint-record';
import { applyDeltas, loadState, MissingStateObjectError } from './state/load-state';
import type { StateManifest } from './state/state-manifest';
import { StorageKeys } from './storage-keys';

/** What step 1 of the protocol read for a shard. */
export interface ShardSnapshot {
  readonly shardId: string;
  readonly checkpoint: CheckpointRecord | undefined;
  readonly control: ControlRecord | undefined;
}

/** Called before a shard's state is loaded whole, with what the manifest says it holds: may refuse. */
export type BeforeStateLoad = (shardId: string, manifest: StateManifest) => void;

interface CachedState {
  readonly states: Map<string, OperatorState>;
  /** The checkpoint batch whose state these are. */
  batchNo: number;
}

/**
 * Step 1 of the protocol: reads a shard's checkpoint and control items in one consistent query, and
 * keeps the shard's state warm between batches. A warm instance that another instance overtook
 * applies only the deltas it missed; a cold one loads the snapshot and the deltas the manifest names
 * (docs/decisions/0008). An object the manifest names that is gone means the read raced a newer
 * commit (whose snapshot replaced it) and is retried — unless the checkpoint did not move, which
 * means the store lost it: that is corruption, and says so.
 */
export class ShardReader {
  readonly #app: string;
  readonly #pipeline: CompiledPipeline;
  readonly #store: CheckpointStore;
  readonly #objects: ObjectStore;
  readonly #beforeLoad: BeforeStateLoad | undefined;
  readonly #cache = new Map<string, CachedState>();

  constructor(app: string, pipeline: CompiledPipeline, store: CheckpointStore, objects: ObjectStore, beforeLoad?: BeforeStateLoad) {
    this.#app = app;
    this.#pipeline = pipeline;
    this.#store = store;
    this.#objects = objects;
    this.#beforeLoad = beforeLoad;
  }

  async read(shardId: string): Promise<ShardSnapshot> {
    const pk = StorageKeys.shardPartition(this.#app, shardId);
    const items = await this.#store.query(pk, StorageKeys.META_PREFIX);
    const cpItem = items.find((i) => i.sk === StorageKeys.CHECKPOINT_SK);
    const ctlItem = items.find((i) => i.sk === StorageKeys.CONTROL_SK);
    const checkpoint = cpItem && parseCheckpoint(`${pk}/${cpItem.sk}`, cpItem.data);
    if (checkpoint !== undefined && checkpoint.stateLayout !== this.#pipeline.stateLayout) {
      throw new GraphMismatchError(
        `app ${this.#app}, shard ${shardId}: the checkpoint holds state for operators [${checkpoint.stateLayout}] but this pipeline has [${this.#pipeline.stateLayout}]. ` +
          'Run it under a new app name (or checkpoint directory), or go back to the pipeline that wrote it.',
      );
    }
    return { shardId, checkpoint, control: ctlItem && parseRecord<ControlRecord>(`${pk}/${ctlItem.sk}`, ctlItem.data) };
  }

  /** True when this instance holds no state of `shardId`: its next {@link states} loads it whole, into new maps. */
  isCold(shardId: string): boolean {
    return !this.#cache.has(shardId);
  }

  /** The shard's operator states as of `snapshot`: cached, caught up with the deltas it missed, or loaded. */
  async states(snapshot: ShardSnapshot): Promise<Map<string, OperatorState>> {
    const { shardId } = snapshot;
    const target = snapshot.checkpoint?.batchNo ?? 0;
    const manifest = snapshot.checkpoint?.state;
    const cached = this.#cache.get(shardId);
    if (cached !== undefined && cached.batchNo === target) return cached.states;
    const where = { objects: this.#objects, app: this.#app, shardId };
    try {
      if (cached !== undefined && cached.batchNo < target && (manifest?.snapshot?.batchNo ?? 0) <= cached.batchNo) {
        // Overtaken by other instances, but the chain still holds every change since our state.
        if (manifest !== undefined) await applyDeltas(where, manifest, cached.batchNo, cached.states);
        cached.batchNo = target;
        return cached.states;
      }
      this.#cache.delete(shardId);
      const states = this.#pipeline.createStates();
      if (manifest !== undefined) {
        this.#beforeLoad?.(shardId, manifest);
        await loadState(where, manifest, states);
      }
      this.#cache.set(shardId, { states, batchNo: target });
      return states;
    } catch (error) {
      // Half-applied changes are no state at all.
      this.#cache.delete(shardId);
      if (error instanceof MissingStateObjectError) throw await this.#explainMissing(shardId, target, error.key);
      throw error;
    }
  }

  /** Records a successful commit: the in-memory state, its changes now durable, is the state of `checkpoint`. */
  committed(shardId: string, checkpoint: CheckpointRecord, states: Map<string, OperatorState>): void {
    for (const s of states.values()) s.settle();
    this.#cache.set(shardId, { states, batchNo: checkpoint.batchNo });
  }

  /** Drops a shard's cached state (after a failed or fenced attempt mutated it). */
  forget(shardId: string): void {
    this.#cache.delete(shardId);
  }

  forgetAll(): void {
    this.#cache.clear();
  }

  /** A named object is gone: a newer commit replaced it (retry), or the store lost it (corruption). */
  async #explainMissing(shardId: string, batchNo: number, key: string): Promise<Error> {
    const now = await this.read(shardId);
    if ((now.checkpoint?.batchNo ?? 0) !== batchNo)
      return new ReadRaceError(`shard ${shardId}: ${key} was replaced by batch ${now.checkpoint?.batchNo}'s state while batch ${batchNo}'s was being read`);
    return new CorruptDataError(
      key,
      `state object is missing, yet the checkpoint of shard ${shardId} at batch ${batchNo} names it: the object store lost it (restore it, or rebuild the app from the write-ahead log with sluice replay)`,
    );
  }
}
