import type { OperatorState } from '../state/operator-state';
import { META_KEY } from './operator-meta';
import type { WindowGrid } from './window-grid';

/** A pane of one key: its start, the reduction of its values and how many values it holds. */
export type KeyPane = [startMs: number, agg: unknown, count: number];

/** The reduction of one key over the last emitted window, kept for the inverse function. */
export type Running = [agg: unknown, count: number];

/** A running value that could not be maintained (a user function threw): recomputed from panes next time. */
export const STALE = 0;

/**
 * One key's window state, the value of its entry: its live panes, ascending, and (with an inverse
 * function) its running reduction over the last emitted window, `null` when that window held none
 * of its values.
 */
export type KeyWindowState = [panes: KeyPane[], running: Running | null | typeof STALE];

/** Reports a key whose user function threw, with the value it was working on. */
export type OnKeyError = (key: string, element: unknown, error: unknown) => void;

/**
 * The panes of `reduceByKeyAndWindow` and `countByWindow`: a batch's values are reduced per
 * (pane, key) as they are pushed, merged into the keys' state entries at the end of the batch,
 * and windows are assembled from panes when they close — by folding the window's panes, or with an
 * inverse function by sliding the running value: add the entering panes, subtract the leaving ones.
 */
export class KeyedPaneStore {
  readonly #grid: WindowGrid;
  readonly #reduce: (a: unknown, b: unknown) => unknown;
  readonly #inverse: ((a: unknown, b: unknown) => unknown) | undefined;
  #batch = new Map<number, Map<string, [unknown, number]>>();

  constructor(grid: WindowGrid, reduce: (a: unknown, b: unknown) => unknown, inverse: ((a: unknown, b: unknown) => unknown) | undefined) {
    this.#grid = grid;
    this.#reduce = reduce;
    this.#inverse = inverse;
  }

  /** Adds one value of this batch (push time: a throwing reduce fails this element only). */
  add(pane: number, key: string, value: unknown): void {
    let keys = this.#batch.get(pane);
    if (keys === undefined) this.#batch.set(pane, (keys = new Map()));
    const acc = keys.get(key);
    if (acc === undefined) keys.set(key, [value, 1]);
    else {
      acc[0] = this.#reduce(acc[0], value);
      acc[1]++;
    }
  }

  reset(): void {
    this.#batch = new Map();
  }

  /**
   * Merges the batch's partials into the state. A pane inside the last emitted window (a record
   * late for that window but not for later ones) also joins the running value, so that subtracting
   * the pane later removes exactly what was added. Returns the starts of the panes that took data.
   */
  merge(state: OperatorState, lastEndMs: number | null, batchTimeMs: number, onError: OnKeyError): Set<number> {
    const filled = new Set<number>();
    const runningFrom = lastEndMs === null ? Infinity : lastEndMs - this.#grid.windowMs;
    for (const [pane, keys] of this.#batch) {
      const inRunning = this.#inverse !== undefined && pane >= runningFrom && pane < lastEndMs!;
      for (const [key, [agg, count]] of keys) {
        const entry = state.get(key);
        try {
          const [panes, running] = entry === undefined ? [[], null] : (entry.value as KeyWindowState);
          const next = withPane(panes, pane, agg, count, this.#reduce);
          let nextRunning = running;
          if (inRunning && running !== STALE) nextRunning = running === null ? [agg, count] : [this.#reduce(running[0], agg), running[1] + count];
          state.set(key, { value: [next, nextRunning] satisfies KeyWindowState, updatedAtMs: batchTimeMs });
          filled.add(pane);
        } catch (error) {
          // The key keeps its previous panes; this batch's values for the pane go to quarantine.
          onError(key, agg, error);
        }
      }
    }
    return filled;
  }

  /** Starts of the panes holding data. */
  panes(state: OperatorState): Set<number> {
    const starts = new Set<number>();
    for (const [key, entry] of state.entries()) {
      if (key === META_KEY) continue;
      for (const p of (entry.value as KeyWindowState)[0]) starts.add(p[0]);
    }
    return starts;
  }

  /**
   * Assembles the windows ending at `ends` (ascending, after `lastEndMs`) and drops the panes no
   * window needs any more. Returns, per window, the `[encodedKey, reduction]` of its keys.
   */
  emit(state: OperatorState, ends: readonly number[], lastEndMs: number | null, batchTimeMs: number, onError: OnKeyError): Array<Array<[string, unknown]>> {
    const out = ends.map(() => [] as Array<[string, unknown]>);
    const newLastEnd = ends[ends.length - 1]!;
    // With an inverse, the pane leaving at the next slide is still needed to subtract it.
    const keepFrom = newLastEnd - this.#grid.windowMs + (this.#inverse === undefined ? this.#grid.slideMs : 0);
    const updates: Array<[string, KeyWindowState | undefined]> = [];
    for (const [key, entry] of state.entries()) {
      if (key === META_KEY) continue;
      const [panes, running] = entry.value as KeyWindowState;
      const nextRunning = this.#inverse === undefined ? null : this.#slide(key, panes, running, ends, lastEndMs, out, onError);
      if (this.#inverse === undefined) this.#fold(key, panes, ends, out, onError);
      const kept = panes[0] !== undefined && panes[0][0] < keepFrom ? panes.filter((p) => p[0] >= keepFrom) : panes;
      // Unchanged entries stay as they are, so the batch's delta does not carry them.
      if (kept !== panes || nextRunning !== running) updates.push([key, kept.length === 0 && nextRunning === null ? undefined : [kept, nextRunning]]);
    }
    for (const [key, value] of updates) {
      if (value === undefined) state.delete(key);
      else state.set(key, { value, updatedAtMs: batchTimeMs });
    }
    return out;
  }

  #fold(key: string, panes: KeyPane[], ends: readonly number[], out: Array<Array<[string, unknown]>>, onError: OnKeyError): void {
    for (let i = 0; i < ends.length; i++) {
      try {
        const r = fold(panes, ends[i]! - this.#grid.windowMs, ends[i]!, this.#reduce);
        if (r !== null) out[i]!.push([key, r[0]]);
      } catch (error) {
        onError(key, { windowEndMs: ends[i] }, error);
      }
    }
  }

  /** Slides the running value window by window; falls back to folding when a function throws. */
  #slide(
    key: string,
    panes: KeyPane[],
    running: KeyWindowState[1],
    ends: readonly number[],
    lastEndMs: number | null,
    out: Array<Array<[string, unknown]>>,
    onError: OnKeyError,
  ): KeyWindowState[1] {
    const w = this.#grid.windowMs;
    const reduce = this.#reduce;
    const inverse = this.#inverse!;
    let run = running;
    let prev = lastEndMs;
    for (let i = 0; i < ends.length; i++) {
      const end = ends[i]!;
      try {
        if (run === STALE || prev === null) run = fold(panes, end - w, end, reduce);
        else {
          try {
            for (const [start, agg, count] of panes) {
              if (start >= prev - w && start < Math.min(prev, end - w)) run = run![1] === count ? null : [inverse(run![0], agg), run![1] - count];
            }
            for (const [start, agg, count] of panes) {
              if (start >= Math.max(prev, end - w) && start < end) run = run === null ? [agg, count] : [reduce(run[0], agg), run[1] + count];
            }
          } catch {
            run = fold(panes, end - w, end, reduce);
          }
        }
        if (run !== null) out[i]!.push([key, run[0]]);
      } catch (error) {
        run = STALE;
        onError(key, { windowEndMs: end }, error);
      }
      prev = end;
    }
    return run;
  }
}

/** Reduces the panes of `[fromMs, toMs)`; `null` when none holds data. */
function fold(panes: readonly KeyPane[], fromMs: number, toMs: number, reduce: (a: unknown, b: unknown) => unknown): Running | null {
  let acc: Running | null = null;
  for (const [start, agg, count] of panes) {
    if (start < fromMs || start >= toMs) continue;
    acc = acc === null ? [agg, count] : [reduce(acc[0], agg), acc[1] + count];
  }
  return acc;
}

/** A copy of `panes` with `(pane, agg, count)` reduced into its place, kept ascending. */
function withPane(panes: readonly KeyPane[], pane: number, agg: unknown, count: number, reduce: (a: unknown, b: unknown) => unknown): KeyPane[] {
  const next = [...panes];
  let i = next.length;
  while (i > 0 && next[i - 1]![0] > pane) i--;
  const at = next[i - 1];
  if (at !== undefined && at[0] === pane) next[i - 1] = [pane, reduce(at[1], agg), at[2] + count];
  else next.splice(i, 0, [pane, agg, count]);
  return next;
}
