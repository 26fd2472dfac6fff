import { STATE_LOAD_CONCURRENCY, STATE_RANGE_BYTES } from '../../../core/defaults';
import { CorruptDataError } from '../../../core/errors';
import type { OperatorState } from '../../../core/state/operator-state';
import type { ObjectStore } from '../../../ports/object-store';
import { mapLimited } from '../map-limited';
import { StorageKeys } from '../storage-keys';
import { decodeIndex, indexOf, inflatePart, locateIndex, parsePart, TRAILER_BYTES, type PartRef, type StateFileIndex } from './state-file';
import { deltaBatchNos, deltaTag, type StateManifest } from './state-manifest';

/** A state object the manifest names is not in the store: the caller decides between a race and corruption. */
export class MissingStateObjectError extends Error {
  constructor(readonly key: string) {
    super(`${key}: state object not found`);
    this.name = 'MissingStateObjectError';
  }
}

/** Where a shard's state objects are. */
export interface StateLocation {
  readonly objects: ObjectStore;
  readonly app: string;
  readonly shardId: string;
  /** Snapshots bigger than this load in ranged GETs of about this size. @default STATE_RANGE_BYTES (8 MiB) */
  readonly rangeBytes?: number;
}

/**
 * Loads the state `manifest` names into `states` (fresh, empty states): its snapshot, then its
 * deltas in order. A big snapshot comes in ranged GETs of {@link STATE_RANGE_BYTES}, several at a
 * time, each part parsed on its own. Throws {@link MissingStateObjectError} for an object that is
 * gone (a newer snapshot may have replaced it), CorruptDataError for one that does not decode.
 */
export async function loadState(where: StateLocation, manifest: StateManifest, states: ReadonlyMap<string, OperatorState>): Promise<void> {
  // The deltas come in while the snapshot loads: one round trip for both, applied after it.
  const deltas = fetchDeltas(where, manifest, 0);
  deltas.catch(() => undefined);
  const snapshot = manifest.snapshot;
  if (snapshot !== undefined) {
    const key = StorageKeys.stateKey(where.app, where.shardId, snapshot.batchNo, 'snapshot', snapshot.tag);
    await loadSnapshot(where.objects, key, snapshot.bytes, states, where.rangeBytes ?? STATE_RANGE_BYTES);
  }
  await applyFetched(await deltas, states);
}

/**
 * Applies the manifest's deltas of batches after `afterBatchNo` to `states`, which hold the state
 * as of `afterBatchNo`: a warm instance catching up with batches other instances committed.
 * Deltas are fetched in parallel and applied in batch order.
 */
export async function applyDeltas(
  where: StateLocation,
  manifest: StateManifest,
  afterBatchNo: number,
  states: ReadonlyMap<string, OperatorState>,
): Promise<number> {
  const fetched = await fetchDeltas(where, manifest, afterBatchNo);
  await applyFetched(fetched, states);
  return fetched.keys.length;
}

/** The bodies of the manifest's deltas after `afterBatchNo`, fetched in parallel. */
async function fetchDeltas(where: StateLocation, manifest: StateManifest, afterBatchNo: number): Promise<{ keys: string[]; bodies: Uint8Array[] }> {
  const batchNos = deltaBatchNos(manifest).filter((n) => n > afterBatchNo);
  const keys = batchNos.map((n) => StorageKeys.stateKey(where.app, where.shardId, n, 'delta', deltaTag(manifest, n)));
  const bodies = await mapLimited(keys, STATE_LOAD_CONCURRENCY, async (key) => {
    const body = await where.objects.get(key);
    if (body === undefined) throw new MissingStateObjectError(key);
    return body;
  });
  return { keys, bodies };
}

/** Applies fetched deltas in batch order. */
async function applyFetched({ keys, bodies }: { keys: string[]; bodies: Uint8Array[] }, states: ReadonlyMap<string, OperatorState>): Promise<void> {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const body = bodies[i]!;
    const index = await indexOf(key, body);
    await applyParts(
      key,
      index.parts.map((part) => ({ part, bytes: body.subarray(part[0], part[0] + part[1]) })),
      states,
    );
  }
}

async function loadSnapshot(objects: ObjectStore, key: string, bytes: number, states: ReadonlyMap<string, OperatorState>, rangeBytes: number): Promise<void> {
  if (bytes <= rangeBytes) {
    const body = await objects.get(key);
    if (body === undefined) throw new MissingStateObjectError(key);
    if (body.length !== bytes) throw new CorruptDataError(key, `holds ${body.length} bytes, the manifest says ${bytes}`);
    const index = await indexOf(key, body);
    await applyParts(
      key,
      index.parts.map((part) => ({ part, bytes: body.subarray(part[0], part[0] + part[1]) })),
      states,
    );
    return;
  }
  const index = await readIndexRanged(objects, key, bytes, Math.min(256 * 1024, rangeBytes));
  // Contiguous parts, grouped into ranges of about STATE_RANGE_BYTES: several GETs in flight,
  // applied in order so the state keeps its order.
  const ranges = groupParts(index.parts, rangeBytes);
  let next = 0;
  const inFlight: Array<Promise<Uint8Array>> = [];
  const fetch = (r: (typeof ranges)[number]): Promise<Uint8Array> => {
    const got = objects.getRange(key, r.start, r.end).then((body) => {
      if (body === undefined) throw new MissingStateObjectError(key);
      if (body.length !== r.end - r.start) throw new CorruptDataError(key, `range ${r.start}-${r.end} came back with ${body.length} bytes`);
      return body;
    });
    // A range still in flight when an earlier one fails is never awaited: its failure is not news.
    got.catch(() => undefined);
    return got;
  };
  while (next < ranges.length && inFlight.length < STATE_LOAD_CONCURRENCY) inFlight.push(fetch(ranges[next++]!));
  for (const range of ranges) {
    const body = await inFlight.shift()!;
    if (next < ranges.length) inFlight.push(fetch(ranges[next++]!));
    await applyParts(
      key,
      range.parts.map((part) => ({ part, bytes: body.subarray(part[0] - range.start, part[0] - range.start + part[1]) })),
      states,
    );
  }
}

async function readIndexRanged(objects: ObjectStore, key: string, bytes: number, tailBytes: number): Promise<StateFileIndex> {
  // The index is usually a few KB: one GET of the tail brings it with the trailer.
  const tailStart = Math.max(0, bytes - tailBytes);
  const tail = await objects.getRange(key, tailStart, bytes);
  if (tail === undefined) throw new MissingStateObjectError(key);
  if (tail.length !== bytes - tailStart) throw new CorruptDataError(key, `is shorter than the ${bytes} bytes the manifest says`);
  const { offset, length } = locateIndex(key, tail, bytes);
  if (offset >= tailStart) return decodeIndex(key, tail.subarray(offset - tailStart, offset - tailStart + length));
  const indexBody = await objects.getRange(key, offset, bytes - TRAILER_BYTES);
  if (indexBody === undefined) throw new MissingStateObjectError(key);
  return decodeIndex(key, indexBody);
}

function groupParts(parts: readonly PartRef[], rangeBytes: number): Array<{ start: number; end: number; parts: PartRef[] }> {
  const ranges: Array<{ start: number; end: number; parts: PartRef[] }> = [];
  for (const part of parts) {
    const last = ranges[ranges.length - 1];
    const end = part[0] + part[1];
    if (last !== undefined && last.end === part[0] && end - last.start <= rangeBytes) {
      last.end = end;
      last.parts.push(part);
    } else {
      ranges.push({ start: part[0], end, parts: [part] });
    }
  }
  return ranges;
}

/** Parts inflating ahead of the one being parsed: decompression on other cores, memory for a few parts. */
const INFLATE_AHEAD = 4;

/** Applies parts in order, each inflated on the thread pool while earlier ones are parsed. */
async function applyParts(key: string, parts: ReadonlyArray<{ part: PartRef; bytes: Uint8Array }>, states: ReadonlyMap<string, OperatorState>): Promise<void> {
  const inflating: Array<Promise<string>> = [];
  const start = (i: number): void => {
    const p = parts[i];
    if (p === undefined) return;
    const text = inflatePart(key, p.bytes, p.part);
    // Awaited in order below; a failure of one further ahead is reported when its turn comes.
    text.catch(() => undefined);
    inflating.push(text);
  };
  for (let i = 0; i < INFLATE_AHEAD; i++) start(i);
  for (let i = 0; i < parts.length; i++) {
    const text = await inflating[i]!;
    start(i + INFLATE_AHEAD);
    const { part } = parts[i]!;
    const state = states.get(part[2]);
    if (state === undefined) throw new CorruptDataError(key, `holds state of operator ${JSON.stringify(part[2])}, which this pipeline does not have`);
    parsePart(
      key,
      text,
      part,
      (g) => state.loadColumns(g[0], g[1], g[2]),
      (keys) => state.removeKeys(keys),
    );
  }
}
