import { checkRange } from './check-range';
import { isValidBatch, pidTerms } from './pid-terms';
import { INITIAL_PID_STATE, parsePidState } from './pid-state';
import type { PidState, RateEstimator } from './rate-estimator';

/** Gains and bounds of {@link PidRateEstimator}; Spark's `spark.streaming.backpressure.pid.*`. */
export interface PidRateEstimatorOptions {
  /** The batch interval (ms) over which a scheduling-delay backlog is to be shed. Must be > 0. */
  readonly batchIntervalMs: number;
  /** Weight of the current error. @default 1 */
  readonly proportional?: number;
  /** Weight of the backlog implied by the scheduling delay. @default 0.2 */
  readonly integral?: number;
  /** Weight of the error's rate of change. @default 0 */
  readonly derivative?: number;
  /** Lowest rate ever returned (records/s), so some data keeps flowing to measure. @default 100 */
  readonly minRate?: number;
}

/**
 * Spark Streaming's `PIDRateEstimator`, exactly: same formula, defaults, validation and `None` cases.
 *
 * The setpoint is the rate it published last; the measured value is the rate the last batch was
 * processed at; the scheduling delay stands in for the integral of past errors. The first valid
 * batch only primes the state (returns `undefined`), so a rate is published from the second one on.
 *
 * @example
 * const pid = new PidRateEstimator({ batchIntervalMs: 1000 });
 * pid.compute(1000, 1000, 500, 0);   // undefined: primes latestRate = 2000
 * pid.compute(2000, 1000, 1000, 0);  // 1000
 * pid.compute(3000, 1000, 1000, 500); // 900
 */
export class PidRateEstimator implements RateEstimator {
  readonly batchIntervalMs: number;
  readonly proportional: number;
  readonly integral: number;
  readonly derivative: number;
  readonly minRate: number;
  private state: PidState;

  constructor(options: PidRateEstimatorOptions, state: PidState = INITIAL_PID_STATE) {
    this.batchIntervalMs = checkRange('pid.batchIntervalMs', options.batchIntervalMs, { min: 0, minExclusive: true });
    this.proportional = checkRange('pid.proportional', options.proportional ?? 1, { min: 0 });
    this.integral = checkRange('pid.integral', options.integral ?? 0.2, { min: 0 });
    this.derivative = checkRange('pid.derivative', options.derivative ?? 0, { min: 0 });
    this.minRate = checkRange('pid.minRate', options.minRate ?? 100, { min: 0, minExclusive: true });
    this.state = state;
  }

  /** Rebuilds an estimator from {@link toJSON}'s output (a DynamoDB item), checking its shape. */
  static fromJSON(options: PidRateEstimatorOptions, json: unknown, key = 'pid-state'): PidRateEstimator {
    return new PidRateEstimator(options, parsePidState(key, json));
  }

  /** @inheritDoc */
  compute(timeMs: number, numElements: number, processingDelayMs: number, schedulingDelayMs: number): number | undefined {
    if (!isValidBatch(this.state, timeMs, numElements, processingDelayMs)) return undefined;
    const t = pidTerms(this.state, this.batchIntervalMs, timeMs, numElements, processingDelayMs, schedulingDelayMs);
    if (this.state.firstRun) {
      this.state = { firstRun: false, latestTimeMs: timeMs, latestRate: t.processingRate, latestError: 0 };
      return undefined;
    }
    const newRate = Math.max(
      this.state.latestRate - this.proportional * t.error - this.integral * t.historicalError - this.derivative * t.dError,
      this.minRate,
    );
    this.state = { firstRun: false, latestTimeMs: timeMs, latestRate: newRate, latestError: t.error };
    return newRate;
  }

  /** @inheritDoc */
  toJSON(): PidState {
    return { ...this.state };
  }
}
