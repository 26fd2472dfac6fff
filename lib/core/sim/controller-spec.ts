import { checkRange } from '../rate/check-range';
import { PidRateEstimator } from '../rate/pid-rate-estimator';
import type { PidRateEstimatorOptions } from '../rate/pid-rate-estimator';
import type { RateEstimator } from '../rate/rate-estimator';
import { SluiceRateController } from '../rate/sluice-rate-controller';
import type { SluiceRateControllerOptions } from '../rate/sluice-rate-controller';

/** The controller kinds the simulator compares. */
export const CONTROLLER_KINDS = ['none', 'static', 'spark-pid', 'sluice'] as const;

/**
 * A controller under test. `none`: no limit. `static`: a fixed `ratePerShard` (maxRatePerShard).
 * `spark-pid`: {@link PidRateEstimator}. `sluice`: {@link SluiceRateController}. Option objects
 * omit `batchIntervalMs`, which the simulator supplies.
 */
export type ControllerSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'static'; readonly ratePerShard: number }
  | { readonly kind: 'spark-pid'; readonly options?: Omit<PidRateEstimatorOptions, 'batchIntervalMs'> }
  | { readonly kind: 'sluice'; readonly options?: Omit<SluiceRateControllerOptions, 'batchIntervalMs'> };

/**
 * Builds the per-shard estimator of a spec, or `undefined` for the fixed-rate kinds; with `state`
 * it restores one from JSON, as a fresh controller Lambda does from DynamoDB.
 */
export function createEstimator(spec: ControllerSpec, batchIntervalMs: number, state?: unknown): RateEstimator | undefined {
  switch (spec.kind) {
    case 'none':
    case 'static':
      return undefined;
    case 'spark-pid': {
      const options = { ...spec.options, batchIntervalMs };
      return state === undefined ? new PidRateEstimator(options) : PidRateEstimator.fromJSON(options, state);
    }
    case 'sluice': {
      const options = { ...spec.options, batchIntervalMs };
      return state === undefined ? new SluiceRateController(options) : SluiceRateController.fromJSON(options, state);
    }
  }
}

/** The rate a shard starts with: the static limit, else `initialRatePerShard`, else none (Spark's default). */
export function initialRate(spec: ControllerSpec, initialRatePerShard: number | undefined): number {
  if (spec.kind === 'static') return checkRange('sim.static.ratePerShard', spec.ratePerShard, { min: 0, minExclusive: true });
  if (spec.kind === 'none') return Number.POSITIVE_INFINITY;
  return initialRatePerShard ?? Number.POSITIVE_INFINITY;
}
