import type { WindowGrid } from './window-grid';

/**
 * Most windows one batch emits with the empty ones among them. A watermark that jumps further (a
 * shard idle for a day under 1-second windows would close 86,400) emits only the windows holding
 * data, so an idle period costs nothing; within the limit, empty windows are emitted too, so a
 * `countByWindow` reports its zeros as Spark's does.
 */
export const EMPTY_WINDOWS_LIMIT = 10_000;

/** Which windows a batch closes, and whether the empty ones among them are emitted. */
export interface ClosingWindows {
  /** Ends, ascending; the last is the new `lastEndMs`. */
  readonly ends: number[];
  readonly emitEmpty: boolean;
}

/**
 * The windows a batch closes: those after the last one emitted (or, before any, from the first
 * window holding data) up to `closeMs`, the aligned `watermark - allowedLateness`. `panes` are the
 * starts of the panes holding data. Past {@link EMPTY_WINDOWS_LIMIT} windows, only the non-empty
 * ones and the last (to carry the operator's position) are listed, and empty ones are not emitted.
 */
export function windowEndsToEmit(grid: WindowGrid, lastEndMs: number | null, closeMs: number | null, panes: Iterable<number>): ClosingWindows {
  const none: ClosingWindows = { ends: [], emitEmpty: true };
  if (closeMs === null) return none;
  const slide = grid.slideMs;
  let minPane = Infinity;
  for (const p of panes) if (p < minPane) minPane = p;
  const from = lastEndMs !== null ? lastEndMs + slide : minPane === Infinity ? Infinity : grid.firstEndOf(minPane);
  if (!(from <= closeMs)) return none;
  const count = (closeMs - from) / slide + 1;
  if (count <= EMPTY_WINDOWS_LIMIT) {
    const ends = new Array<number>(count);
    for (let i = 0; i < count; i++) ends[i] = from + i * slide;
    return { ends, emitEmpty: true };
  }
  const listed = new Set<number>([closeMs]);
  for (const p of panes) {
    const last = Math.min(grid.lastEndOf(p), closeMs);
    for (let e = Math.max(grid.firstEndOf(p), from); e <= last; e += slide) listed.add(e);
  }
  return { ends: [...listed].sort((a, b) => a - b), emitEmpty: false };
}
