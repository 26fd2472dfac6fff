/**
 * What every rate controller offers: Spark's `RateEstimator.compute` contract plus its state as JSON,
 * because on AWS the controller Lambda is short-lived and keeps the state in DynamoDB between runs.
 */
export interface RateEstimator {
  /**
   * Feeds the statistics of one completed batch (or one control interval on Lambda) and returns the
   * new rate in records per second, or `undefined` when the inputs allow no estimate: the caller then
   * keeps the rate it has (fail-static).
   *
   * @param timeMs when the batch completed; must grow from call to call
   * @param numElements records the batch processed
   * @param processingDelayMs how long processing took
   * @param schedulingDelayMs how long the batch waited behind earlier work before it started
   */
  compute(timeMs: number, numElements: number, processingDelayMs: number, schedulingDelayMs: number): number | undefined;

  /** The mutable state, as a plain JSON object that `fromJSON` of the same class accepts. */
  toJSON(): PidState;
}

/**
 * The memory of a PID rate estimator between two batches, with Spark's field meanings. Before the
 * first valid batch `firstRun` is true and the numbers hold Spark's initial −1.
 */
export interface PidState {
  readonly firstRun: boolean;
  /** Completion time of the latest batch that produced an estimate (ms). */
  readonly latestTimeMs: number;
  /** The latest published rate (records/s); the setpoint of the next error. */
  readonly latestRate: number;
  /** The proportional error of the latest estimate (records/s). */
  readonly latestError: number;
}
