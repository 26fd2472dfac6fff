import { GraphMismatchError } from '../errors';

/** One key's state as the engine reads it: the value and the batch time it was last updated (for idle timeouts). */
export interface StateEntry {
  readonly value: unknown;
  readonly updatedAtMs: number;
}

/** One key's change in a batch: its new entry, or `undefined` when the batch removed it. */
export type StateChange = readonly [key: string, entry: StateEntry | undefined];

/**
 * A key's slot. Changed in place by the batch that changes the key: a failed batch is never undone
 * here — the runtime drops the whole state and reloads it — so no copy per change is needed.
 */
interface Slot {
  value: unknown;
  updatedAtMs: number;
  /** {@link REMOVED}, {@link DIRTY}, {@link ACCUMULATING}: one small integer, so a slot stays five fields. */
  flags: number;
  /** The `[key, value]` pair last handed out for this value: reused while the value stays. */
  pair: [unknown, unknown] | undefined;
  /** The open batch's values of this key folded so far (see {@link OperatorState.accumulate}). */
  acc: unknown;
}

/** Removed by the open batch: the slot keeps the key's place until the batch settles. */
const REMOVED = 1;
/** Changed by the open batch (and listed in `#changed`). */
const DIRTY = 2;
/** Holds an accumulator of the open batch in `acc`. */
const ACCUMULATING = 4;

/** A value folded for a key that has no state yet. */
interface Pending {
  acc: unknown;
}

/**
 * The state of one stateful operator on one shard: an ordered map from encoded key (see key-codec)
 * to {@link StateEntry}, which also records the keys the open batch changed — the batch's delta,
 * which is all a commit writes (docs/decisions/0008).
 *
 * Iteration order is part of the state: outputs built from it (the whole state handed to
 * `transform`, windows, timeouts) must come out the same on a warm instance and on a cold one that
 * rebuilt the state from a snapshot and deltas, or a re-run batch would emit something else. The
 * order is insertion order with these rules, which loading a delta reproduces exactly: a key keeps
 * its place while it exists (a key removed and set again in one batch too — its slot holds the place
 * until {@link settle}); a new key goes to the end; a removed key leaves.
 */
export class OperatorState {
  readonly #slots = new Map<string, Slot>();
  /** Keys changed in the open batch, in the order of their first change, and their slots. */
  #changed: string[] = [];
  #changedSlots: Slot[] = [];
  #removed = 0;
  /** Keys with state whose slots hold a batch accumulator, in the order of their first value. */
  #accKeys: string[] = [];
  #accSlots: Slot[] = [];
  /** Accumulators of keys with no state, in the order of their first value. */
  #pending = new Map<string, Pending>();

  get(key: string): StateEntry | undefined {
    const slot = this.#slots.get(key);
    return slot === undefined || (slot.flags & REMOVED) !== 0 ? undefined : slot;
  }

  /** Sets `key`'s value in the open batch. */
  set(key: string, entry: StateEntry): void {
    this.put(key, entry.value, entry.updatedAtMs);
  }

  /** Sets `key`'s value in the open batch: the hot path of keyed operators, with no entry to allocate. */
  put(key: string, value: unknown, updatedAtMs: number): void {
    this.putAt(key, this.#slots.get(key), value, updatedAtMs);
  }

  /**
   * {@link put} given what {@link get} (or {@link drainAccumulators}) returned for `key` in this
   * batch, which spares a second lookup of the key.
   */
  putAt(key: string, entry: StateEntry | undefined, value: unknown, updatedAtMs: number): void {
    const slot = entry as Slot | undefined;
    if (slot === undefined) {
      // Not in the state, or removed in this batch: its slot may still hold its place.
      const held = this.#slots.get(key);
      if (held !== undefined) {
        this.#putSlot(key, held, value, updatedAtMs);
        return;
      }
      const created = newSlot(value, updatedAtMs, true);
      this.#slots.set(key, created);
      this.#changed.push(key);
      this.#changedSlots.push(created);
      return;
    }
    this.#putSlot(key, slot, value, updatedAtMs);
  }

  #putSlot(key: string, slot: Slot, value: unknown, updatedAtMs: number): void {
    if ((slot.flags & REMOVED) !== 0) {
      slot.flags &= ~REMOVED;
      this.#removed--;
    }
    if (slot.value !== value) slot.pair = undefined;
    slot.value = value;
    slot.updatedAtMs = updatedAtMs;
    if ((slot.flags & DIRTY) === 0) {
      slot.flags |= DIRTY;
      this.#changed.push(key);
      this.#changedSlots.push(slot);
    }
  }

  /** Removes `key` in the open batch; removing a key that has no state changes nothing. */
  delete(key: string): void {
    const slot = this.#slots.get(key);
    if (slot === undefined || (slot.flags & REMOVED) !== 0) return;
    slot.flags |= REMOVED;
    slot.value = undefined;
    slot.pair = undefined;
    this.#removed++;
    if ((slot.flags & DIRTY) === 0) {
      slot.flags |= DIRTY;
      this.#changed.push(key);
      this.#changedSlots.push(slot);
    }
  }

  get size(): number {
    return this.#slots.size - this.#removed;
  }

  /** Every entry, in state order. */
  *entries(): IterableIterator<[string, StateEntry]> {
    for (const pair of this.#slots) if ((pair[1].flags & REMOVED) === 0) yield pair;
  }

  /** Calls `fn` for every entry in state order: {@link entries} without an iterator per entry, for hot loops. */
  forEachEntry(fn: (entry: StateEntry, key: string) => void): void {
    if (this.#removed === 0) {
      this.#slots.forEach(fn);
      return;
    }
    this.#slots.forEach((slot, key) => {
      if ((slot.flags & REMOVED) === 0) fn(slot, key);
    });
  }

  /**
   * Every entry as a `[decoded key, value]` pair, in state order: the state as an output stream. A
   * key whose value did not change since the last call gets the same pair object, so a batch that
   * changes few keys of a big state allocates few pairs.
   */
  pairs(decode: (key: string) => unknown): unknown[] {
    const out = new Array<unknown>(this.size);
    let i = 0;
    this.#slots.forEach((slot, key) => {
      if ((slot.flags & REMOVED) !== 0) return;
      // A pair handed out again must still say what the state says: one a user function changed
      // since (`pair[1] = …`) is replaced, never passed on. (Freezing pairs instead costs 7 % of a word count.)
      const pair = slot.pair;
      out[i++] = pair !== undefined && pair[1] === slot.value ? pair : (slot.pair = [decode(key), slot.value]);
    });
    return out;
  }

  /**
   * Folds `value` into `key`'s accumulator for the open batch (`reduce(acc, value)`; the first value
   * as is): how `countByValue`/`reduceByKey` feeding `updateStateByKey` aggregate a batch straight
   * on the state's own map — one lookup per element, no per-batch map. {@link drainAccumulators}
   * hands the results over.
   */
  accumulate(key: string, value: unknown, reduce: (a: unknown, b: unknown) => unknown): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined && (slot.flags & REMOVED) === 0) {
      if ((slot.flags & ACCUMULATING) !== 0) slot.acc = reduce(slot.acc, value);
      else this.#startAcc(key, slot, value);
      return;
    }
    const pending = this.#pending.get(key);
    if (pending === undefined) this.#pending.set(key, { acc: value });
    else pending.acc = reduce(pending.acc, value);
  }

  /** {@link accumulate} of a count: one more occurrence of `key`. */
  accumulateCount(key: string): void {
    const slot = this.#slots.get(key);
    if (slot !== undefined && (slot.flags & REMOVED) === 0) {
      if ((slot.flags & ACCUMULATING) !== 0) slot.acc = (slot.acc as number) + 1;
      else this.#startAcc(key, slot, 1);
      return;
    }
    const pending = this.#pending.get(key);
    if (pending === undefined) this.#pending.set(key, { acc: 1 });
    else pending.acc = (pending.acc as number) + 1;
  }

  /**
   * Calls `visit(acc, key, entry)` once per accumulated key — keys that had state first, then new
   * keys, each group in the order of its first value — and clears the accumulators. `visit` may set
   * or delete the key; new keys it sets join the state in that order.
   */
  drainAccumulators(visit: (acc: unknown, key: string, entry: StateEntry | undefined) => void): void {
    const keys = this.#accKeys;
    const slots = this.#accSlots;
    const pending = this.#pending;
    this.#accKeys = [];
    this.#accSlots = [];
    this.#pending = new Map();
    for (let i = 0; i < keys.length; i++) {
      const slot = slots[i]!;
      const acc = slot.acc;
      slot.acc = undefined;
      slot.flags &= ~ACCUMULATING;
      visit(acc, keys[i]!, slot);
    }
    pending.forEach((p, key) => visit(p.acc, key, undefined));
  }

  /** Forgets the open batch's accumulators (a pass re-run without the elements that failed). */
  clearAccumulators(): void {
    for (const slot of this.#accSlots) {
      slot.acc = undefined;
      slot.flags &= ~ACCUMULATING;
    }
    this.#accKeys = [];
    this.#accSlots = [];
    this.#pending = new Map();
  }

  #startAcc(key: string, slot: Slot, value: unknown): void {
    slot.acc = value;
    slot.flags |= ACCUMULATING;
    this.#accKeys.push(key);
    this.#accSlots.push(slot);
  }

  /** True when the open batch changed a key. */
  get hasChanges(): boolean {
    return this.#changed.length > 0;
  }

  /** The open batch's changes, in the order of their first change: what its delta holds. */
  *changes(): IterableIterator<StateChange> {
    const keys = this.#changed;
    const slots = this.#changedSlots;
    for (let i = 0; i < keys.length; i++) yield [keys[i]!, (slots[i]!.flags & REMOVED) !== 0 ? undefined : slots[i]!];
  }

  /**
   * Closes the open batch once its changes are durable: removed keys leave for good and the next
   * batch starts with no changes. (A failed batch is not undone here: the caller drops the state
   * and reloads it, which stays correct even when a user function changed a value in place.)
   */
  settle(): void {
    const keys = this.#changed;
    const slots = this.#changedSlots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if ((slot.flags & REMOVED) !== 0) this.#slots.delete(keys[i]!);
      else slot.flags &= ~DIRTY;
    }
    this.#removed = 0;
    this.#changed = [];
    this.#changedSlots = [];
  }

  /** Adds stored entries, by column (a snapshot or delta part), untracked: loading is not a batch. */
  loadColumns(keys: readonly string[], values: readonly unknown[], updatedAtMs: readonly number[]): void {
    const slots = this.#slots;
    // Into an empty state (a snapshot's first load) every key is new: no lookup needed first.
    const fresh = slots.size === 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const slot = fresh ? undefined : slots.get(key);
      if (slot === undefined) slots.set(key, newSlot(values[i], updatedAtMs[i]!, false));
      else {
        slot.value = values[i];
        slot.updatedAtMs = updatedAtMs[i]!;
        slot.pair = undefined;
      }
    }
  }

  /** Removes stored keys (a delta's removals), untracked. */
  removeKeys(keys: readonly string[]): void {
    for (const key of keys) this.#slots.delete(key);
  }

  /** A deep, independent copy with no open changes (values copied through JSON), for tests and replays. */
  clone(): OperatorState {
    const copy = new OperatorState();
    const entries = [...this.entries()];
    copy.loadColumns(
      entries.map(([key]) => key),
      entries.map(([, e]) => (e.value === undefined ? undefined : JSON.parse(JSON.stringify(e.value)))),
      entries.map(([, e]) => e.updatedAtMs),
    );
    return copy;
  }
}

function newSlot(value: unknown, updatedAtMs: number, dirty: boolean): Slot {
  return { value, updatedAtMs, flags: dirty ? DIRTY : 0, pair: undefined, acc: undefined };
}

/**
 * The state of operator `id` among a batch's states. A missing one means the states were loaded
 * for another pipeline than the one running: the engine refuses to run without it.
 */
export function stateOf(states: ReadonlyMap<string, OperatorState>, id: string): OperatorState {
  const state = states.get(id);
  if (state === undefined) throw new GraphMismatchError(`no state loaded for operator ${id}: the states given are not this pipeline's`);
  return state;
}
