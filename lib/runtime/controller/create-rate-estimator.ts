import { PidRateEstimator } from '../../core/rate/pid-rate-estimator';
import type { PidState, RateEstimator } from '../../core/rate/rate-estimator';
import { SluiceRateController } from '../../core/rate/sluice-rate-controller';
import type { RateEstimatorKind } from './control-item';

/** Which estimator the controller runs and with what gains; unset gains take the estimator's defaults. */
export interface EstimatorConfig {
  readonly kind: RateEstimatorKind;
  /** The app's batch interval: the period over which a scheduling-delay backlog is shed. */
  readonly batchIntervalMs: number;
  readonly proportional?: number;
  readonly integral?: number;
  readonly derivative?: number;
  readonly minRate?: number;
  /** Highest rate published (the static `maxRatePerShard`); the sluice estimator clamps to it. */
  readonly maxRate?: number;
}

/**
 * Rebuilds a shard's estimator from the PID state stored in its control item, as every controller
 * invocation does: the Lambda is short-lived and the estimator's memory lives in DynamoDB.
 */
export function createRateEstimator(config: EstimatorConfig, state: PidState): RateEstimator {
  const { kind, maxRate, ...gains } = config;
  const options = Object.fromEntries(Object.entries(gains).filter(([, v]) => v !== undefined)) as Omit<EstimatorConfig, 'kind' | 'maxRate'>;
  if (kind === 'pid') return PidRateEstimator.fromJSON(options, state);
  return SluiceRateController.fromJSON(maxRate === undefined ? options : { ...options, maxRate }, state);
}
