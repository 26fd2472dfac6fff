/**
 * The arithmetic of aligned sliding windows, cut into panes: a pane is one slide of time
 * `[p, p + slideMs)`, and the window ending at `e` is the `windowMs / slideMs` panes before `e`.
 * Every record falls in exactly one pane, so a sliding window costs one update per record and the
 * windows are assembled from panes when they close. Tumbling windows are the case `slideMs = windowMs`.
 *
 * Windows are aligned to the epoch (start divisible by `slideMs`), like Flink's and Spark's.
 */
export class WindowGrid {
  readonly windowMs: number;
  readonly slideMs: number;

  constructor(windowMs: number, slideMs: number) {
    this.windowMs = windowMs;
    this.slideMs = slideMs;
  }

  /** Start of the pane holding time `t`. */
  paneOf(t: number): number {
    return Math.floor(t / this.slideMs) * this.slideMs;
  }

  /** End of the last window that contains pane `p`: once it closed, `p` takes no more records. */
  lastEndOf(pane: number): number {
    return pane + this.windowMs;
  }

  /** End of the first window that contains pane `p`. */
  firstEndOf(pane: number): number {
    return pane + this.slideMs;
  }

  /** Largest window end at or before `t`. */
  alignedEnd(t: number): number {
    return Math.floor(t / this.slideMs) * this.slideMs;
  }
}
