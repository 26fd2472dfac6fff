import { CorruptDataError } from '../errors';
import { bucketOf } from './bucket-of';

/** One key's state: the value and the batch time it was last updated (for idle timeouts). */
export interface StateEntry {
  value: unknown;
  updatedAtMs: number;
}

/**
 * The state of one stateful operator on one shard, packed into a fixed number of buckets
 * (hash(key) → bucket) so that a commit writes only the buckets a batch changed.
 *
 * Keys are encoded strings (see key-codec). Buckets are decoded lazily: a bucket loaded from the
 * checkpoint stays a string until a key in it is touched.
 */
export class OperatorState {
  readonly bucketCount: number;
  readonly #buckets: Array<Map<string, StateEntry> | undefined>;
  readonly #raw: Array<string | undefined>;
  readonly #dirty = new Set<number>();

  constructor(bucketCount: number) {
    this.bucketCount = bucketCount;
    this.#buckets = new Array(bucketCount).fill(undefined);
    this.#raw = new Array(bucketCount).fill(undefined);
  }

  /** Installs a bucket as read from the checkpoint (its serialized form). */
  loadBucket(bucket: number, serialized: string): void {
    this.#raw[bucket] = serialized;
    this.#buckets[bucket] = undefined;
  }

  get(key: string): StateEntry | undefined {
    return this.#bucket(bucketOf(key, this.bucketCount)).get(key);
  }

  /** The bucket of `key`, to pass to {@link getIn}/{@link setIn} so a key is hashed once per batch. */
  bucketOf(key: string): number {
    return bucketOf(key, this.bucketCount);
  }

  getIn(bucket: number, key: string): StateEntry | undefined {
    return this.#bucket(bucket).get(key);
  }

  setIn(bucket: number, key: string, entry: StateEntry): void {
    this.#bucket(bucket).set(key, entry);
    this.#dirty.add(bucket);
  }

  set(key: string, entry: StateEntry): void {
    const b = bucketOf(key, this.bucketCount);
    this.#bucket(b).set(key, entry);
    this.#dirty.add(b);
  }

  /** Records that an entry of `bucket` was changed in place. */
  markDirty(bucket: number): void {
    this.#dirty.add(bucket);
  }

  delete(key: string): void {
    const b = bucketOf(key, this.bucketCount);
    if (this.#bucket(b).delete(key)) this.#dirty.add(b);
  }

  /** Every entry, bucket by bucket. */
  *entries(): IterableIterator<[string, StateEntry]> {
    for (let b = 0; b < this.bucketCount; b++) yield* this.#bucket(b);
  }

  /** Calls `fn` for every entry, bucket by bucket: {@link entries} without an iterator per entry, for hot loops. */
  forEachEntry(fn: (entry: StateEntry, key: string) => void): void {
    for (let b = 0; b < this.bucketCount; b++) this.#bucket(b).forEach(fn);
  }

  get size(): number {
    let n = 0;
    for (let b = 0; b < this.bucketCount; b++) n += this.#bucket(b).size;
    return n;
  }

  /** Buckets changed since the last {@link clearDirty}, in ascending order. */
  dirtyBuckets(): number[] {
    return [...this.#dirty].sort((a, b) => a - b);
  }

  clearDirty(): void {
    this.#dirty.clear();
  }

  /**
   * Serializes one bucket: `[[key, value, updatedAtMs], ...]` as JSON, in the map's insertion order.
   * Loading keeps that order, so a cold instance iterates state exactly as the warm one did, and a
   * re-run emits the same sequence (deterministic replay) without sorting.
   */
  serializeBucket(bucket: number): string {
    const rows: Array<[string, unknown, number]> = [];
    for (const [k, e] of this.#bucket(bucket)) rows.push([k, e.value, e.updatedAtMs]);
    return JSON.stringify(rows);
  }

  /** A deep, independent copy (serialized and parsed back), for rollback and caches. */
  clone(): OperatorState {
    const copy = new OperatorState(this.bucketCount);
    for (let b = 0; b < this.bucketCount; b++) {
      const raw = this.#buckets[b] === undefined ? this.#raw[b] : this.serializeBucket(b);
      if (raw !== undefined) copy.loadBucket(b, raw);
    }
    return copy;
  }

  #bucket(b: number): Map<string, StateEntry> {
    let map = this.#buckets[b];
    if (map === undefined) {
      map = new Map();
      const raw = this.#raw[b];
      if (raw !== undefined) {
        let rows: unknown;
        try {
          rows = JSON.parse(raw);
        } catch (cause) {
          throw new CorruptDataError(`bucket ${b}`, 'state bucket is not valid JSON', { cause });
        }
        if (!Array.isArray(rows)) throw new CorruptDataError(`bucket ${b}`, 'state bucket is not an array');
        for (const row of rows as Array<[string, unknown, number]>) map.set(row[0], { value: row[1], updatedAtMs: row[2] });
        this.#raw[b] = undefined;
      }
      this.#buckets[b] = map;
    }
    return map;
  }
}
