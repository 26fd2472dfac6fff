import type { CompiledPipeline } from '../../core/engine/compile-pipeline';
import { ConfigError, SluiceError } from '../../core/errors';
import { decodeKey } from '../../core/state/key-codec';
import { META_KEY } from '../../core/window/operator-meta';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ObjectStore } from '../../ports/object-store';
import { ShardReader } from './shard-reader';
import { StorageKeys } from './storage-keys';

/** Where an app's state is, and which of its stateful operators to read. */
export interface MergedStateQuery {
  readonly checkpoints: CheckpointStore;
  readonly objects: ObjectStore;
  readonly app: string;
  readonly pipeline: CompiledPipeline;
  /** @default - the pipeline's last stateful operator */
  readonly operatorId?: string;
  /** Refuse when a shard's offsets are not of this source (a stream's ARN ends with `:stream/NAME`). @default - any */
  readonly expectSource?: (sourceId: string) => boolean;
  /** Names the expected source in the refusal. */
  readonly expectedSourceName?: string;
  /** Refuse an app that has no checkpoint, instead of giving an empty state. @default false */
  readonly requireCheckpoint?: boolean;
}

/**
 * One stateful operator's state across every shard of `app`, the shards' partials merged with the
 * operator's `merge` (state is kept per shard: ADR 0001): `[decoded key, value]` in first-seen order. With
 * a single shard the entries come straight from its state, with no merged copy.
 *
 * With `requireCheckpoint`, refuses an app that has no checkpoint (nothing was ever committed under
 * that name), and with `expectSource` an app whose offsets are of another source, rather than give
 * an empty or a foreign state.
 */
export async function mergedStateEntries(q: MergedStateQuery): Promise<Iterable<[unknown, unknown]>> {
  const ops = q.pipeline.statefulOperators;
  const op = q.operatorId === undefined ? ops[ops.length - 1] : ops.find((o) => o.id === q.operatorId);
  if (op === undefined) {
    throw new ConfigError(
      'operator',
      q.operatorId === undefined
        ? `pipeline ${q.pipeline.name} has no stateful operator`
        : `no stateful operator ${JSON.stringify(q.operatorId)} (have: ${ops.map((o) => o.id).join(', ')})`,
    );
  }
  const shards = await q.checkpoints.query(StorageKeys.appPartition(q.app), StorageKeys.SHARD_PREFIX);
  if (shards.length === 0 && q.requireCheckpoint === true)
    throw new ConfigError(
      '--app',
      `app ${q.app} has no checkpoint here: nothing was committed under that name (give the app's name with --app, or run it first)`,
    );
  const reader = new ShardReader(q.app, q.pipeline, q.checkpoints, q.objects);
  const perShard: Array<{ shardId: string; entries: Iterable<[string, { value: unknown }]> }> = [];
  const snapshots = await Promise.all(shards.map((item) => reader.read(item.sk.slice(StorageKeys.SHARD_PREFIX.length))));
  // A closed exchange shard whose partition a child took over (a split): the child's state holds it, and more.
  const superseded = new Set(snapshots.map((s) => s.checkpoint?.exchange?.inheritedFrom).filter((id): id is string => id !== undefined));
  for (const snapshot of snapshots) {
    const { shardId } = snapshot;
    if (superseded.has(shardId)) continue;
    const sourceId = snapshot.checkpoint?.sourceId;
    if (q.expectSource !== undefined && sourceId !== undefined && !q.expectSource(sourceId)) {
      throw new ConfigError(
        '--app',
        `app ${q.app} holds the state of ${sourceId}, not of ${q.expectedSourceName ?? 'the source given'} (give the app that reads it with --app)`,
      );
    }
    perShard.push({ shardId, entries: (await reader.states(snapshot)).get(op.id)!.entries() });
  }
  if (perShard.length === 0) return [];
  if (perShard.length === 1) return decoded(perShard[0]!.entries);
  const merged = new Map<string, { value: unknown; shard: string }>();
  for (const { shardId, entries } of perShard) {
    for (const [key, entry] of entries) {
      // A window's or event-time operator's clock is not a key of the user's.
      if (key === META_KEY) continue;
      const seen = merged.get(key);
      if (seen === undefined) {
        merged.set(key, { value: entry.value, shard: shardId });
      } else if (op.merge === undefined) {
        throw new SluiceError(
          `key ${JSON.stringify(decodeKey(key))} of operator ${op.id} has state in shards ${seen.shard} and ${shardId}, and the operator has no merge function: pass { merge } to updateStateByKey, or make the partition key the state key`,
        );
      } else {
        seen.value = op.merge(seen.value, entry.value);
      }
    }
  }
  return (function* () {
    for (const [k, v] of merged) yield [decodeKey(k), v.value] as [unknown, unknown];
  })();
}

/**
 * {@link mergedStateEntries} as a Map.
 *
 * @default operatorId - the pipeline's last stateful operator
 */
export async function readMergedState(
  store: CheckpointStore,
  objects: ObjectStore,
  app: string,
  pipeline: CompiledPipeline,
  operatorId?: string,
): Promise<Map<unknown, unknown>> {
  return new Map(await mergedStateEntries({ checkpoints: store, objects, app, pipeline, operatorId }));
}

function* decoded(entries: Iterable<[string, { value: unknown }]>): Iterable<[unknown, unknown]> {
  for (const [key, entry] of entries) if (key !== META_KEY) yield [decodeKey(key), entry.value];
}

/** A merged state as a plain JSON object: string keys as they are, other keys as their JSON. */
export function stateToJson(state: Iterable<[unknown, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of state) out[jsonKey(k)] = v;
  return out;
}

/** A state key as a JSON object's member name: strings as they are, other keys as their JSON. */
export function jsonKey(key: unknown): string {
  return typeof key === 'string' ? key : JSON.stringify(key);
}
