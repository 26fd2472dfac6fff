import { createHash, type Hash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip as gunzipCb, gzip as gzipCb } from 'node:zlib';
import { STATE_PART_BYTES } from '../../../core/defaults';
import { ConfigError, CorruptDataError } from '../../../core/errors';
import type { StateChange, StateEntry } from '../../../core/state/operator-state';
import type { StateObjectKind } from '../storage-keys';

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

/**
 * A group of stored entries, one line of a part, by column: keys, values, update times. Columns
 * make a million entries a few thousand arrays to parse, not a million.
 */
export type RowGroup = [keys: string[], values: unknown[], updatedAtMs: number[]];

/** What a part holds: entries to set, or keys to remove. */
export type PartKind = 'rows' | 'removed';

/** One part: where it lies in the object, whose state it is, and how many rows or keys it holds. */
export type PartRef = readonly [offset: number, length: number, operatorId: string, kind: PartKind, count: number];

/** The index at the end of a state object. */
export interface StateFileIndex {
  readonly format: 1;
  readonly kind: StateObjectKind;
  readonly app: string;
  readonly shard: string;
  readonly batchNo: number;
  readonly parts: readonly PartRef[];
  /** Entries set (a snapshot: every key of the state). */
  readonly rows: number;
  /** Serialized size of all parts before compression. */
  readonly rawBytes: number;
}

/** `SLS1` then the index's length: the last bytes of every state object. */
const MAGIC = 0x534c5331;
export const TRAILER_BYTES = 8;

/** Parts compressing at once: the CPU of other cores, with memory bounded to a few parts. */
const PARALLEL_PARTS = 4;

/** Aim for groups (one line of a part) of about this size, so each parse stays small. */
const GROUP_BYTES = 64 * 1024;

/**
 * Writes a state object: a snapshot of a shard's state, or the delta of one batch
 * (docs/decisions/0008). The object is a sequence of gzip members — the parts — then an index
 * member and an 8-byte trailer. A part holds one operator's rows (or removed keys) as lines of
 * JSON arrays of about {@link GROUP_BYTES}, {@link STATE_PART_BYTES} per part, so a reader can fetch
 * parts with ranged GETs in parallel and parse them one at a time, never one string of the whole
 * state. Rows keep state order, which loading reproduces.
 */
export class StateFileWriter {
  readonly #header: { kind: StateObjectKind; app: string; shard: string; batchNo: number };
  readonly #parts: Array<{ op: string; kind: PartKind; count: number; body: Promise<Buffer> }> = [];
  /** Only an object whose key carries its content's digest (an app without a WAL) pays for hashing it. */
  readonly #digest: Hash | undefined;
  #rows = 0;
  #rawBytes = 0;
  #groupSize = 256;

  constructor(header: { kind: StateObjectKind; app: string; shard: string; batchNo: number }, options: { digest?: boolean } = {}) {
    this.#header = header;
    this.#digest = options.digest === true ? createHash('sha1') : undefined;
  }

  /** Adds every entry of `entries` as rows of `operatorId`, in their order. */
  async addEntries(operatorId: string, entries: Iterable<readonly [string, StateEntry]>): Promise<void> {
    let keys: string[] = [];
    let values: unknown[] = [];
    let times: number[] = [];
    await this.#addGroups(
      operatorId,
      'rows',
      entries,
      (pair) => {
        keys.push(pair[0]);
        values.push(pair[1].value);
        times.push(pair[1].updatedAtMs);
        return keys.length;
      },
      () => {
        const group: RowGroup = [keys, values, times];
        keys = [];
        values = [];
        times = [];
        return group;
      },
    );
  }

  /** Adds a batch's changes of `operatorId`: removals first (they commute with sets of other keys), then sets. */
  async addChanges(operatorId: string, changes: Iterable<StateChange>): Promise<void> {
    const removed: string[] = [];
    const set: Array<readonly [string, StateEntry]> = [];
    for (const [key, entry] of changes) {
      if (entry === undefined) removed.push(key);
      else set.push([key, entry]);
    }
    let keys: string[] = [];
    await this.#addGroups(
      operatorId,
      'removed',
      removed,
      (key) => keys.push(key),
      () => {
        const group = keys;
        keys = [];
        return group;
      },
    );
    await this.addEntries(operatorId, set);
  }

  /** Compresses what is left and assembles the object. `digest` identifies its content, when asked for. */
  async finish(): Promise<{ body: Uint8Array; rawBytes: number; rows: number; digest: string | undefined }> {
    const bodies = await Promise.all(this.#parts.map((p) => p.body));
    const parts: PartRef[] = [];
    let offset = 0;
    bodies.forEach((body, i) => {
      const p = this.#parts[i]!;
      parts.push([offset, body.length, p.op, p.kind, p.count]);
      offset += body.length;
    });
    const index: StateFileIndex = { format: 1, ...this.#header, parts, rows: this.#rows, rawBytes: this.#rawBytes };
    const indexBody = await gzip(JSON.stringify(index), { level: 1 });
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeUInt32BE(MAGIC, 0);
    trailer.writeUInt32BE(indexBody.length, 4);
    const body = Buffer.concat([...bodies, indexBody, trailer]);
    return {
      body: new Uint8Array(body.buffer, body.byteOffset, body.length),
      rawBytes: this.#rawBytes,
      rows: this.#rows,
      digest: this.#digest?.digest('hex').slice(0, 16),
    };
  }

  /**
   * Packs `items` into groups (`add` appends one to the open group and returns its size; `take`
   * closes it), groups into lines, lines into parts, and starts compressing each full part.
   */
  async #addGroups<T>(op: string, kind: PartKind, items: Iterable<T>, add: (item: T) => number, take: () => unknown): Promise<void> {
    let lines: string[] = [];
    let partBytes = 0;
    let partCount = 0;
    let groupCount = 0;
    const flushGroup = (): void => {
      if (groupCount === 0) return;
      let line: string;
      try {
        line = JSON.stringify(take());
      } catch (cause) {
        // A pipeline bug, not a record's fault: every batch would fail the same way.
        throw new ConfigError(
          `state of operator ${op}`,
          `cannot be stored: ${(cause as Error).message}; state values must be JSON data (numbers, strings, booleans, null, arrays, plain objects)`,
        );
      }
      // Adapt the group size so lines stay near GROUP_BYTES whatever the size of a value.
      if (line.length > GROUP_BYTES * 2 && this.#groupSize > 1) this.#groupSize = Math.max(1, this.#groupSize >> 1);
      else if (line.length < GROUP_BYTES / 2 && this.#groupSize < 16_384) this.#groupSize <<= 1;
      lines.push(line);
      partBytes += line.length + 1;
      partCount += groupCount;
      groupCount = 0;
    };
    const flushPart = async (): Promise<void> => {
      flushGroup();
      if (lines.length === 0) return;
      const text = lines.join('\n');
      this.#digest?.update(`${op}\u0000${kind}\u0000`).update(text);
      this.#rawBytes += text.length;
      if (kind === 'rows') this.#rows += partCount;
      // Bound the parts in flight: wait for the oldest before starting more.
      if (this.#parts.length >= PARALLEL_PARTS) await this.#parts[this.#parts.length - PARALLEL_PARTS]!.body;
      this.#parts.push({ op, kind, count: partCount, body: gzip(text, { level: 1 }) });
      lines = [];
      partBytes = 0;
      partCount = 0;
    };
    for (const item of items) {
      groupCount = add(item);
      if (groupCount >= this.#groupSize) {
        flushGroup();
        if (partBytes >= STATE_PART_BYTES) await flushPart();
      }
    }
    await flushPart();
  }
}

/** Where the index of an object of `objectBytes` lies, read from its last bytes (`tail`, at least the trailer). */
export function locateIndex(key: string, tail: Uint8Array, objectBytes: number): { offset: number; length: number } {
  if (tail.length < TRAILER_BYTES || objectBytes < TRAILER_BYTES) throw new CorruptDataError(key, `not a state object: ${objectBytes} bytes`);
  const view = Buffer.from(tail.buffer, tail.byteOffset, tail.length);
  if (view.readUInt32BE(tail.length - TRAILER_BYTES) !== MAGIC) throw new CorruptDataError(key, 'not a state object: its trailer is missing');
  const length = view.readUInt32BE(tail.length - 4);
  const offset = objectBytes - TRAILER_BYTES - length;
  if (offset < 0) throw new CorruptDataError(key, `its index (${length} bytes) does not fit the object (${objectBytes} bytes)`);
  return { offset, length };
}

/** Decodes the index member. */
export async function decodeIndex(key: string, bytes: Uint8Array): Promise<StateFileIndex> {
  const index = (await decodeJson(key, bytes, 'index')) as StateFileIndex;
  if (index === null || typeof index !== 'object' || index.format !== 1 || !Array.isArray(index.parts))
    throw new CorruptDataError(key, 'its index is not a sluice state index (format 1)');
  return index;
}

/** The index of a whole object held in memory. */
export async function indexOf(key: string, body: Uint8Array): Promise<StateFileIndex> {
  const { offset, length } = locateIndex(key, body, body.length);
  return decodeIndex(key, body.subarray(offset, offset + length));
}

/** Decompresses one part (on libuv's thread pool: other parts can be parsed meanwhile). */
export async function inflatePart(key: string, bytes: Uint8Array, part: PartRef): Promise<string> {
  try {
    return (await gunzip(bytes)).toString('utf8');
  } catch (cause) {
    throw new CorruptDataError(key, `part at ${part[0]} does not decompress: ${(cause as Error).message}`, { cause });
  }
}

/** Parses an inflated part and hands each of its groups to `onRows` (entries) or `onRemoved` (removed keys), in order. */
export function parsePart(key: string, text: string, part: PartRef, onRows: (group: RowGroup) => void, onRemoved: (keys: string[]) => void): void {
  let count = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let group: unknown;
    try {
      group = JSON.parse(text.slice(start, end));
    } catch (cause) {
      throw new CorruptDataError(key, `part at ${part[0]} is not valid JSON: ${(cause as Error).message}`, { cause });
    }
    if (part[3] === 'removed') {
      if (!Array.isArray(group)) throw new CorruptDataError(key, `part at ${part[0]} is not a list of keys`);
      count += group.length;
      onRemoved(group as string[]);
    } else {
      const g = group as RowGroup;
      if (
        !Array.isArray(g) ||
        !Array.isArray(g[0]) ||
        !Array.isArray(g[1]) ||
        !Array.isArray(g[2]) ||
        g[1].length !== g[0].length ||
        g[2].length !== g[0].length
      )
        throw new CorruptDataError(key, `part at ${part[0]} is not groups of [keys, values, times]`);
      count += g[0].length;
      onRows(g);
    }
    start = end + 1;
  }
  if (count !== part[4]) throw new CorruptDataError(key, `part at ${part[0]} holds ${count} items, its index says ${part[4]}`);
}

async function decodeJson(key: string, bytes: Uint8Array, what: string): Promise<unknown> {
  try {
    return JSON.parse((await gunzip(bytes)).toString('utf8')) as unknown;
  } catch (cause) {
    throw new CorruptDataError(key, `its ${what} does not decode: ${(cause as Error).message}`, { cause });
  }
}
