/**
 * The arithmetic of aligned windows, cut into panes. A window ends at every multiple of `slideMs`
 * and covers the `windowMs` before its end, `[end - windowMs, end)`, like Spark's windows, which
 * start every slide and cover the window. A pane is `paneMs` of time, the largest length that cuts
 * both the window and the slide evenly, so every pane lies wholly inside or outside each window:
 * a record falls in exactly one pane, costs one update, and windows are assembled from panes when
 * they close. Tumbling windows are the case `slideMs = windowMs`; sliding windows overlap when
 * `slideMs < windowMs`; with `slideMs > windowMs` they sample, and a time between two windows falls
 * in none.
 *
 * Window ends are aligned to the epoch (divisible by `slideMs`), like Flink's and Spark's.
 */
export class WindowGrid {
  readonly windowMs: number;
  readonly slideMs: number;
  readonly paneMs: number;

  constructor(windowMs: number, slideMs: number) {
    this.windowMs = windowMs;
    this.slideMs = slideMs;
    this.paneMs = gcd(windowMs, slideMs);
  }

  /** Start of the pane holding time `t`. */
  paneOf(t: number): number {
    return Math.floor(t / this.paneMs) * this.paneMs;
  }

  /** End of the last window that contains pane `p`: once it closed, `p` takes no more records. */
  lastEndOf(pane: number): number {
    return Math.floor((pane + this.windowMs) / this.slideMs) * this.slideMs;
  }

  /** End of the first window that contains pane `p`. */
  firstEndOf(pane: number): number {
    return Math.floor(pane / this.slideMs) * this.slideMs + this.slideMs;
  }

  /** False for a pane between two windows (only when `slideMs > windowMs`): its records are in no window. */
  inSomeWindow(pane: number): boolean {
    return this.firstEndOf(pane) <= this.lastEndOf(pane);
  }

  /** Largest window end at or before `t`. */
  alignedEnd(t: number): number {
    return Math.floor(t / this.slideMs) * this.slideMs;
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
