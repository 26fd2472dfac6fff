/**
 * One closed time window and what the operator computed for it: the elements (`window`), the
 * per-key reductions (`reduceByKeyAndWindow`) or the count (`countByWindow`). The window covers
 * event (or arrival) times `startMs <= t < endMs`.
 */
export interface Windowed<T> {
  readonly startMs: number;
  readonly endMs: number;
  readonly value: T;
}

/**
 * A record that reached a window operator after every window it belongs to had closed, handed to the
 * operator's late output (`onLate`) instead of vanishing.
 */
export interface LateRecord<T> {
  /** The element as the window operator received it. */
  readonly value: T;
  /** Its event time (or arrival time). */
  readonly timeMs: number;
  /** The operator's watermark when the batch started: windows ending at or before `watermarkMs - allowedLatenessMs` were closed. */
  readonly watermarkMs: number;
}
