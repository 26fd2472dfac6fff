/** One key's state: the value and the batch time it was last updated (for idle timeouts). Never mutated: a change replaces the entry. */
export interface StateEntry {
  readonly value: unknown;
  readonly updatedAtMs: number;
}

/** One key's change in a batch: its new entry, or `undefined` when the batch removed it. */
export type StateChange = readonly [key: string, entry: StateEntry | undefined];

/** Holds a removed key's place until the batch's changes are settled, so iteration order stays what it was. */
const REMOVED: StateEntry = Object.freeze({ value: undefined, updatedAtMs: Number.NaN });

/**
 * The state of one stateful operator on one shard: an ordered map from encoded key (see key-codec)
 * to {@link StateEntry}, which also records the keys the open batch changed — the batch's delta,
 * which is all a commit writes (docs/decisions/0008).
 *
 * Iteration order is part of the state: outputs built from it (the whole state handed to
 * `transform`, windows, timeouts) must come out the same on a warm instance and on a cold one that
 * rebuilt the state from a snapshot and deltas, or a re-run batch would emit something else. The
 * order is insertion order with these rules, which {@link applyChanges} reproduces exactly from a
 * delta: a key keeps its place while it exists (a key removed and set again in one batch too — its
 * place is held by a tombstone until {@link settle}); a new key goes to the end; a removed key leaves.
 */
export class OperatorState {
  readonly #entries = new Map<string, StateEntry>();
  /** Keys changed in the open batch, in the order of their first change. */
  readonly #changed = new Set<string>();
  #tombstones = 0;

  get(key: string): StateEntry | undefined {
    const entry = this.#entries.get(key);
    return entry === REMOVED ? undefined : entry;
  }

  /** Sets `key`'s entry in the open batch. */
  set(key: string, entry: StateEntry): void {
    const before = this.#entries.get(key);
    if (before === REMOVED) this.#tombstones--;
    this.#entries.set(key, entry);
    this.#changed.add(key);
  }

  /** Removes `key` in the open batch; removing a key that has no state changes nothing. */
  delete(key: string): void {
    const before = this.#entries.get(key);
    if (before === undefined || before === REMOVED) return;
    this.#entries.set(key, REMOVED);
    this.#tombstones++;
    this.#changed.add(key);
  }

  get size(): number {
    return this.#entries.size - this.#tombstones;
  }

  /** Every entry, in state order. */
  *entries(): IterableIterator<[string, StateEntry]> {
    for (const pair of this.#entries) if (pair[1] !== REMOVED) yield pair;
  }

  /** Calls `fn` for every entry in state order: {@link entries} without an iterator per entry, for hot loops. */
  forEachEntry(fn: (entry: StateEntry, key: string) => void): void {
    if (this.#tombstones === 0) {
      this.#entries.forEach(fn);
      return;
    }
    this.#entries.forEach((entry, key) => {
      if (entry !== REMOVED) fn(entry, key);
    });
  }

  /** True when the open batch changed a key. */
  get hasChanges(): boolean {
    return this.#changed.size > 0;
  }

  /** How many keys the open batch changed. */
  get changeCount(): number {
    return this.#changed.size;
  }

  /** The open batch's changes, in the order of their first change: what its delta holds. */
  *changes(): IterableIterator<StateChange> {
    for (const key of this.#changed) {
      const entry = this.#entries.get(key);
      yield [key, entry === REMOVED ? undefined : entry];
    }
  }

  /**
   * Closes the open batch once its changes are durable: removed keys leave for good and the next
   * batch starts with no changes. (A failed batch is not undone here: the caller drops the state
   * and reloads it, which stays correct even when a user function mutated a value in place.)
   */
  settle(): void {
    if (this.#tombstones > 0) {
      for (const key of this.#changed) if (this.#entries.get(key) === REMOVED) this.#entries.delete(key);
      this.#tombstones = 0;
    }
    this.#changed.clear();
  }

  /**
   * Applies stored changes (a snapshot's entries, or a delta's), untracked: loading is not a batch.
   * Same order rules as a batch followed by {@link settle}, so loading reproduces the warm order.
   */
  applyChanges(changes: Iterable<StateChange>): void {
    for (const [key, entry] of changes) {
      if (entry === undefined) this.#entries.delete(key);
      else this.#entries.set(key, entry);
    }
  }

  /** Adds stored rows `[key, value, updatedAtMs]` (a snapshot or delta part), untracked. */
  loadRows(rows: ReadonlyArray<readonly [string, unknown, number]>): void {
    const entries = this.#entries;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      entries.set(row[0], { value: row[1], updatedAtMs: row[2] });
    }
  }

  /** Removes stored keys (a delta's removals), untracked. */
  removeKeys(keys: readonly string[]): void {
    for (const key of keys) this.#entries.delete(key);
  }

  /** A deep, independent copy with no open changes (values copied through JSON), for tests and replays. */
  clone(): OperatorState {
    const copy = new OperatorState();
    for (const [key, entry] of this.entries()) copy.#entries.set(key, { value: structuredCloneJson(entry.value), updatedAtMs: entry.updatedAtMs });
    return copy;
  }
}

function structuredCloneJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
