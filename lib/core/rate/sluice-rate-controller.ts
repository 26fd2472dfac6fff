import { checkRange } from './check-range';
import { isValidBatch, pidTerms } from './pid-terms';
import { INITIAL_PID_STATE, parsePidState } from './pid-state';
import type { PidRateEstimatorOptions } from './pid-rate-estimator';
import type { PidState, RateEstimator } from './rate-estimator';

/** Options of {@link SluiceRateController}: Spark's PID options plus the guards it adds. */
export interface SluiceRateControllerOptions extends PidRateEstimatorOptions {
  /** Weight of the current error; below Spark's 1 it smooths one batch's cost noise. @default 0.5 */
  readonly proportional?: number;
  /**
   * Highest rate ever published (records/s), e.g. the static `maxRatePerShard`. A limit below the
   * default `minRate` (100) lowers that floor to it: the static limit is what the shard may take.
   * @default Infinity
   */
  readonly maxRate?: number;
  /**
   * Anti-windup: the scheduling delay counted in the integral term is clamped to this many batch
   * intervals. At 5 with the default integral gain the term can cancel the rate but no more;
   * tighter clamps slowed recovery in the simulator. @default 5
   */
  readonly maxDelayIntervals?: number;
  /** Slew limit: the rate may grow by at most this fraction per batch interval elapsed. @default 0.5 */
  readonly maxIncreasePerInterval?: number;
  /**
   * Share of the measured processing rate the controller aims at (Spark: 1). Below 1 it leaves
   * headroom, so a batch that costs a little more than the last does not start a queue. @default 0.95
   */
  readonly targetUtilization?: number;
}

/** Spark's default `minRate`, records/s. */
const DEFAULT_MIN_RATE = 100;

/**
 * Spark's PID with the changes the simulator showed to pay off (docs/decisions/0003-rate-control.md):
 * a target utilization below 1 and a smaller proportional gain against cost noise, a rate published
 * from the first batch, a slew limit on increases, a clamp on the delay term and `[minRate, maxRate]`.
 * Same contract and persisted state as {@link PidRateEstimator}.
 *
 * @example
 * const controller = new SluiceRateController({ batchIntervalMs: 1000, maxRate: 5000 });
 * controller.compute(1000, 1000, 500, 0); // 1900: 95 % of the 2,000 records/s just measured
 */
export class SluiceRateController implements RateEstimator {
  private readonly batchIntervalMs: number;
  private readonly kp: number;
  private readonly ki: number;
  private readonly kd: number;
  private readonly minRate: number;
  private readonly maxRate: number;
  private readonly maxDelayMs: number;
  private readonly maxIncrease: number;
  private readonly utilization: number;
  private state: PidState;

  constructor(options: SluiceRateControllerOptions, state: PidState = INITIAL_PID_STATE) {
    this.batchIntervalMs = checkRange('rateController.batchIntervalMs', options.batchIntervalMs, { min: 0, minExclusive: true });
    this.kp = checkRange('rateController.proportional', options.proportional ?? 0.5, { min: 0 });
    this.ki = checkRange('rateController.integral', options.integral ?? 0.2, { min: 0 });
    this.kd = checkRange('rateController.derivative', options.derivative ?? 0, { min: 0 });
    this.minRate = checkRange('rateController.minRate', options.minRate ?? Math.min(DEFAULT_MIN_RATE, options.maxRate ?? DEFAULT_MIN_RATE), {
      min: 0,
      minExclusive: true,
    });
    this.maxRate = checkRange('rateController.maxRate', options.maxRate ?? Number.POSITIVE_INFINITY, { min: this.minRate });
    this.maxDelayMs = checkRange('rateController.maxDelayIntervals', options.maxDelayIntervals ?? 5, { min: 0 }) * this.batchIntervalMs;
    this.maxIncrease = checkRange('rateController.maxIncreasePerInterval', options.maxIncreasePerInterval ?? 0.5, { min: 0 });
    this.utilization = checkRange('rateController.targetUtilization', options.targetUtilization ?? 0.95, { min: 0, minExclusive: true, max: 1 });
    this.state = state;
  }

  /** Rebuilds a controller from {@link toJSON}'s output (a DynamoDB item), checking its shape. */
  static fromJSON(options: SluiceRateControllerOptions, json: unknown, key = 'rate-controller-state'): SluiceRateController {
    return new SluiceRateController(options, parsePidState(key, json));
  }

  /**
   * Same inputs and `undefined` cases as Spark's estimator, except that the first valid batch
   * already publishes `targetUtilization × processingRate` less the delay term.
   */
  compute(timeMs: number, numElements: number, processingDelayMs: number, schedulingDelayMs: number): number | undefined {
    if (!isValidBatch(this.state, timeMs, numElements, processingDelayMs)) return undefined;
    const t = pidTerms(this.state, this.batchIntervalMs, timeMs, numElements, processingDelayMs, Math.min(schedulingDelayMs, this.maxDelayMs));
    const target = this.utilization * t.processingRate;
    // Publishing from the first batch matters most at a cold start into a backlog: one unlimited batch less.
    if (this.state.firstRun) return this.publish(timeMs, this.clamp(target - this.ki * t.historicalError), 0);
    const elapsedIntervals = (timeMs - this.state.latestTimeMs) / this.batchIntervalMs;
    const error = this.state.latestRate - target;
    const dError = (error - this.state.latestError) / ((timeMs - this.state.latestTimeMs) / 1000);
    const pid = this.state.latestRate - this.kp * error - this.ki * t.historicalError - this.kd * dError;
    // Increases are slewed; decreases are not, so an overload is shed at once.
    const ceiling = this.state.latestRate * (1 + this.maxIncrease * elapsedIntervals);
    return this.publish(timeMs, this.clamp(Math.min(pid, ceiling)), error);
  }

  /** @inheritDoc */
  toJSON(): PidState {
    return { ...this.state };
  }

  private publish(timeMs: number, rate: number, error: number): number {
    this.state = { firstRun: false, latestTimeMs: timeMs, latestRate: rate, latestError: error };
    return rate;
  }

  private clamp(rate: number): number {
    return Math.min(this.maxRate, Math.max(this.minRate, rate));
  }
}
