import type { PidState } from './rate-estimator';

/** The terms of one PID step, each in Spark's units (records/s, records/s²). */
export interface PidTerms {
  /** Records per second the batch was processed at: `numElements / processingDelay`. */
  readonly processingRate: number;
  /** Setpoint (the latest rate) minus the measured processing rate. */
  readonly error: number;
  /** The backlog behind the scheduling delay, as a rate to shed within one batch interval. */
  readonly historicalError: number;
  /** Change of the error per second since the latest estimate. */
  readonly dError: number;
}

/**
 * True when Spark's `PIDRateEstimator` would estimate at all: time moved forward, the batch had
 * records and took time. Anything else leaves the state untouched.
 */
export function isValidBatch(state: PidState, timeMs: number, numElements: number, processingDelayMs: number): boolean {
  return timeMs > state.latestTimeMs && numElements > 0 && processingDelayMs > 0;
}

/**
 * Spark's four quantities, line for line with `PIDRateEstimator.compute`: the scheduling delay is
 * read as `schedulingDelay × processingRate` overflowing records to be shed over one batch interval.
 */
export function pidTerms(
  state: PidState,
  batchIntervalMs: number,
  timeMs: number,
  numElements: number,
  processingDelayMs: number,
  schedulingDelayMs: number,
): PidTerms {
  const delaySinceUpdate = (timeMs - state.latestTimeMs) / 1000;
  const processingRate = (numElements / processingDelayMs) * 1000;
  const error = state.latestRate - processingRate;
  const historicalError = (schedulingDelayMs * processingRate) / batchIntervalMs;
  const dError = (error - state.latestError) / delaySinceUpdate;
  return { processingRate, error, historicalError, dError };
}
