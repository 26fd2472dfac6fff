import type { OperatorState } from '../../../core/state/operator-state';
import { StorageKeys, type StateObjectKind } from '../storage-keys';
import { StateFileWriter } from './state-file';
import { snapshotDue, withDelta, withSnapshot, type SnapshotPolicy, type StateManifest } from './state-manifest';

/** The state object a batch writes before its commit, and the manifest the commit records. */
export interface StateWrite {
  readonly kind: StateObjectKind;
  readonly key: string;
  readonly body: Uint8Array;
  /** The manifest after this batch. */
  readonly manifest: StateManifest;
  /** Serialized size before compression. */
  readonly rawBytes: number;
}

/**
 * Serializes what batch `batchNo` changed: a delta of the changed and removed keys of every
 * stateful operator, or — when the policy says the chain is long enough ({@link snapshotDue}) — a
 * snapshot of the whole state, which replaces the chain. Nothing when the batch changed no state.
 *
 * A re-run of the batch (same records, same starting state) produces the same object under the
 * same key, so its create-only PUT finding the object is expected and harmless. Without a WAL a
 * re-run may cut the batch otherwise; `tagged` then puts the content's digest in the key, so two
 * cuts never share one.
 */
export async function prepareStateWrite(input: {
  app: string;
  shardId: string;
  batchNo: number;
  manifest: StateManifest;
  states: ReadonlyMap<string, OperatorState>;
  tagged: boolean;
  policy?: SnapshotPolicy;
  /** Write a snapshot even when the batch changed nothing: a shard that starts from another's state (docs/decisions/0015) keeps it under its own keys. */
  forceSnapshot?: boolean;
}): Promise<StateWrite | undefined> {
  const { app, shardId, batchNo, manifest, states } = input;
  let changed = false;
  let keys = 0;
  for (const state of states.values()) {
    changed ||= state.hasChanges;
    keys += state.size;
  }
  if (!changed && input.forceSnapshot !== true) return undefined;
  const kind: StateObjectKind = input.forceSnapshot === true || snapshotDue(manifest, input.policy) ? 'snapshot' : 'delta';
  const writer = new StateFileWriter({ kind, app, shard: shardId, batchNo }, { digest: input.tagged });
  for (const [operatorId, state] of states) {
    if (kind === 'snapshot') await writer.addEntries(operatorId, state.entries());
    else if (state.hasChanges) await writer.addChanges(operatorId, state.changes());
  }
  const { body, rawBytes, rows, digest } = await writer.finish();
  const tag = digest;
  const key = StorageKeys.stateKey(app, shardId, batchNo, kind, tag);
  const next =
    kind === 'snapshot'
      ? withSnapshot({ batchNo, bytes: body.length, keys: rows, rawBytes, ...(tag === undefined ? {} : { tag }) })
      : withDelta(manifest, batchNo, body.length, keys, tag);
  return { kind, key, body, manifest: next, rawBytes };
}
