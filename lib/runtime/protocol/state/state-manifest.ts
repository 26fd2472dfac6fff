import { DEFAULT_MAX_DELTAS_PER_SNAPSHOT, DEFAULT_SNAPSHOT_DELTA_RATIO } from '../../../core/defaults';
import { CorruptDataError } from '../../../core/errors';

/** A snapshot as the manifest names it: the whole state as of `batchNo`. */
export interface SnapshotRef {
  readonly batchNo: number;
  /** Size of the stored object. */
  readonly bytes: number;
  /** Keys it holds (all operators), and their serialized size: the memory a load will need. */
  readonly keys: number;
  readonly rawBytes: number;
  /** Part of its key when set (see StorageKeys.stateKey). */
  readonly tag?: string;
}

/**
 * Where a shard's state is, as of the checkpoint that holds this manifest: a snapshot and the
 * deltas of the later batches that changed state (docs/decisions/0008). Written only by the fenced
 * commit, with the offsets, so the state and the offsets always name the same batch. Its size is
 * bounded whatever the state's size: the deltas are runs of batch numbers, at most
 * {@link DEFAULT_MAX_DELTAS_PER_SNAPSHOT} of them.
 */
export interface StateManifest {
  /** Absent until a batch changed state. */
  readonly snapshot?: SnapshotRef;
  /** Batch numbers of the deltas after the snapshot, oldest first, as inclusive runs `[from, to]`. */
  readonly deltas: ReadonlyArray<readonly [from: number, to: number]>;
  /** Total size of those deltas' objects. */
  readonly deltaBytes: number;
  /** Tags of deltas whose keys carry one (apps without a WAL), by batch number. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Keys in the state after the batch (all operators). */
  readonly keys: number;
}

/** The manifest of a shard whose state never changed. */
export const EMPTY_MANIFEST: StateManifest = { deltas: [], deltaBytes: 0, keys: 0 };

/** When a shard writes a snapshot in place of a delta. */
export interface SnapshotPolicy {
  /** @default DEFAULT_MAX_DELTAS_PER_SNAPSHOT (100) */
  readonly maxDeltas?: number;
  /** @default DEFAULT_SNAPSHOT_DELTA_RATIO (1) */
  readonly deltaRatio?: number;
}

/** The batch numbers of the manifest's deltas, oldest first. */
export function deltaBatchNos(manifest: StateManifest): number[] {
  const out: number[] = [];
  for (const [from, to] of manifest.deltas) for (let n = from; n <= to; n++) out.push(n);
  return out;
}

/** How many deltas follow the snapshot. */
export function deltaCount(manifest: StateManifest): number {
  let n = 0;
  for (const [from, to] of manifest.deltas) n += to - from + 1;
  return n;
}

/**
 * True when the next batch that changes state should write a snapshot instead of a delta: there
 * is none yet, the chain reached `maxDeltas`, or the deltas weigh `deltaRatio` of the snapshot.
 * Decided from the manifest alone, so every attempt of a batch decides the same.
 */
export function snapshotDue(manifest: StateManifest, policy: SnapshotPolicy = {}): boolean {
  const snapshot = manifest.snapshot;
  if (snapshot === undefined) return true;
  const maxDeltas = policy.maxDeltas ?? DEFAULT_MAX_DELTAS_PER_SNAPSHOT;
  const ratio = policy.deltaRatio ?? DEFAULT_SNAPSHOT_DELTA_RATIO;
  return deltaCount(manifest) >= maxDeltas || manifest.deltaBytes >= ratio * snapshot.bytes;
}

/** The manifest after batch `batchNo` wrote a delta of `bytes` (tagged when `tag` is set). */
export function withDelta(manifest: StateManifest, batchNo: number, bytes: number, keys: number, tag?: string): StateManifest {
  const runs = manifest.deltas.map((r) => [r[0], r[1]] as [number, number]);
  const last = runs[runs.length - 1];
  if (last !== undefined && batchNo <= last[1]) throw new CorruptDataError(`delta ${batchNo}`, `follows delta ${last[1]} in the manifest`);
  if (last !== undefined && last[1] === batchNo - 1) last[1] = batchNo;
  else runs.push([batchNo, batchNo]);
  return {
    ...(manifest.snapshot === undefined ? {} : { snapshot: manifest.snapshot }),
    deltas: runs,
    deltaBytes: manifest.deltaBytes + bytes,
    ...(tag === undefined && manifest.tags === undefined ? {} : { tags: { ...manifest.tags, ...(tag === undefined ? {} : { [batchNo]: tag }) } }),
    keys,
  };
}

/** The manifest after batch `batchNo` wrote a snapshot: it replaces the chain. */
export function withSnapshot(snapshot: SnapshotRef): StateManifest {
  return { snapshot, deltas: [], deltaBytes: 0, keys: snapshot.keys };
}

/** The manifest's tag of delta `batchNo`, if its key carries one. */
export function deltaTag(manifest: StateManifest, batchNo: number): string | undefined {
  return manifest.tags?.[batchNo];
}
