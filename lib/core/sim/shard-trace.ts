/**
 * What one shard did, one entry per batch interval ("step"): the raw material of the series and
 * the summary. Records are conserved: `arrived = admitted + finalBacklog`, or some were dropped.
 */
export interface ShardTrace {
  /** Records that arrived at the source during the step. */
  readonly arrivals: number[];
  /** Records admitted into batches that started during the step. */
  readonly admitted: number[];
  /** Rate limit in force at the end of the step (records/s); `Infinity` when there is none. */
  readonly rate: number[];
  /** Records waiting in the source (deferred, never dropped) at the end of the step. */
  readonly backlog: number[];
  /** Scheduling delay of the latest batch started by the end of the step (ms). */
  readonly delayMs: number[];
  /** Total records that arrived over the run. */
  readonly arrived: number;
  /** Total records admitted into batches over the run. */
  readonly admittedTotal: number;
}

/** Collects a {@link ShardTrace} step by step. */
export class TraceRecorder {
  readonly arrivals: number[] = [];
  readonly admitted: number[] = [];
  readonly rate: number[] = [];
  readonly backlog: number[] = [];
  readonly delayMs: number[] = [];

  /** Appends one step. */
  push(arrivals: number, admitted: number, rate: number, backlog: number, delayMs: number): void {
    this.arrivals.push(arrivals);
    this.admitted.push(admitted);
    this.rate.push(rate);
    this.backlog.push(backlog);
    this.delayMs.push(delayMs);
  }

  /** The finished trace. */
  finish(): ShardTrace {
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    return {
      arrivals: this.arrivals,
      admitted: this.admitted,
      rate: this.rate,
      backlog: this.backlog,
      delayMs: this.delayMs,
      arrived: sum(this.arrivals),
      admittedTotal: sum(this.admitted),
    };
  }
}
