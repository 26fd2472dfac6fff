import type { CompiledPipeline } from '../core/engine/compile-pipeline';
import { ConfigError, SluiceError } from '../core/errors';
import { decodeKey } from '../core/state/key-codec';
import { META_KEY } from '../core/window/operator-meta';
import type { CheckpointStore } from '../ports/checkpoint-store';
import type { ObjectStore } from '../ports/object-store';
import { ShardReader } from './shard-reader';
import { StorageKeys } from './storage-keys';

/**
 * Reads one stateful operator's state across every shard of `app` and merges the shards' partials
 * with the operator's `merge` (ARCHITECTURE.md §4). Keys come back decoded, in first-seen order.
 *
 * @default operatorId - the pipeline's last stateful operator
 */
export async function readMergedState(store: CheckpointStore, objects: ObjectStore, app: string, pipeline: CompiledPipeline, operatorId?: string): Promise<Map<unknown, unknown>> {
  const ops = pipeline.statefulOperators;
  const op = operatorId === undefined ? ops[ops.length - 1] : ops.find((o) => o.id === operatorId);
  if (op === undefined) {
    throw new ConfigError('operator', operatorId === undefined ? `pipeline ${pipeline.name} has no stateful operator` : `no stateful operator ${JSON.stringify(operatorId)} (have: ${ops.map((o) => o.id).join(', ')})`);
  }
  const shards = await store.query(StorageKeys.appPartition(app), StorageKeys.SHARD_PREFIX);
  const reader = new ShardReader(app, pipeline, store, objects);
  const merged = new Map<string, { value: unknown; shard: string }>();
  for (const item of shards) {
    const shardId = item.sk.slice(StorageKeys.SHARD_PREFIX.length);
    const snapshot = await reader.read(shardId);
    const states = await reader.states(snapshot);
    for (const [key, entry] of states.get(op.id)!.entries()) {
      // A window's or event-time operator's clock is not a key of the user's.
      if (key === META_KEY) continue;
      const seen = merged.get(key);
      if (seen === undefined) {
        merged.set(key, { value: entry.value, shard: shardId });
      } else if (op.merge === undefined) {
        throw new SluiceError(`key ${JSON.stringify(decodeKey(key))} of operator ${op.id} has state in shards ${seen.shard} and ${shardId}, and the operator has no merge function: pass { merge } to updateStateByKey, or make the partition key the state key`);
      } else {
        seen.value = op.merge(seen.value, entry.value);
      }
    }
  }
  return new Map([...merged].map(([k, v]) => [decodeKey(k), v.value]));
}

/** A merged state as a plain JSON object: string keys as they are, other keys as their JSON. */
export function stateToJson(state: Map<unknown, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of state) out[typeof k === 'string' ? k : JSON.stringify(k)] = v;
  return out;
}
