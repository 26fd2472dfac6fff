import type { EsmSnapshot, EsmTuning } from '../../ports/event-source-mappings';
export type { EsmSnapshot, EsmTuning };

/** Inputs of {@link planEsmUpdate}. */
export interface EsmPlanInput {
  readonly mapping: EsmSnapshot;
  /** The rates published for the app's shards, records per second. */
  readonly shardRates: readonly number[];
  readonly batchIntervalMs: number;
  /** The window the processors were deployed with; an update keeps (or restores) it. */
  readonly batchingWindowSeconds: number;
  readonly nowMs: number;
  /** Fewest milliseconds between two changes of the mapping. */
  readonly minUpdateIntervalMs: number;
  /** The desired BatchSize must differ from the current one by more than this factor (> 1). */
  readonly changeFactor: number;
}

/** What to do with the mapping, and why (for the log). */
export type EsmPlan =
  | { readonly action: 'keep'; readonly reason: string; readonly desired?: EsmTuning }
  | { readonly action: 'update'; readonly reason: string; readonly desired: EsmTuning };

/** Lambda's range of BatchSize for Kinesis. */
const MAX_BATCH_SIZE = 10_000;

/**
 * The settings the mapping should have at the fastest shard's rate: a batch holds one batch
 * interval of records, so an invocation brings about what the processor will admit and few records
 * are deferred and read again. The batching window stays the one the processors were deployed
 * with: their allowance schedule counts it as wait by design (`BATCHING_WINDOW_SECONDS`), and a
 * full batch is invoked at once whatever the window, so moving it would change nothing but that.
 */
export function desiredEsmTuning(maxRatePerSec: number, batchIntervalMs: number, batchingWindowSeconds: number): EsmTuning {
  const batchSize = Math.min(MAX_BATCH_SIZE, Math.max(1, Math.ceil((maxRatePerSec * batchIntervalMs) / 1000)));
  return { batchSize, maximumBatchingWindowInSeconds: batchingWindowSeconds };
}

/**
 * Decides whether the controller retunes the event source mapping. An update takes up to 90 s to
 * act and restarts polling, so the mapping follows the published rates only slowly, with
 * hysteresis: the desired BatchSize must be more than `changeFactor` away from the current one,
 * the mapping must be `Enabled` (not already updating), and the last change must be at least
 * `minUpdateIntervalMs` old. The fast actuator is the processors' rate gate; this one only
 * keeps invocations the right size.
 */
export function planEsmUpdate(input: EsmPlanInput): EsmPlan {
  const rates = input.shardRates.filter((r) => Number.isFinite(r) && r > 0);
  if (rates.length === 0) return { action: 'keep', reason: 'no shard has a published rate' };
  const desired = desiredEsmTuning(Math.max(...rates), input.batchIntervalMs, input.batchingWindowSeconds);
  const { mapping } = input;
  const ratio = desired.batchSize / mapping.batchSize;
  if (ratio <= input.changeFactor && ratio >= 1 / input.changeFactor) {
    return { action: 'keep', reason: `BatchSize ${mapping.batchSize} is within ${input.changeFactor}x of the desired ${desired.batchSize}`, desired };
  }
  if (mapping.state !== 'Enabled') return { action: 'keep', reason: `the mapping is ${mapping.state}, not Enabled`, desired };
  const sinceMs = mapping.lastModifiedMs === undefined ? Number.POSITIVE_INFINITY : input.nowMs - mapping.lastModifiedMs;
  if (sinceMs < input.minUpdateIntervalMs) {
    return {
      action: 'keep',
      reason: `the mapping changed ${Math.round(sinceMs / 1000)} s ago; at most one change per ${Math.round(input.minUpdateIntervalMs / 1000)} s`,
      desired,
    };
  }
  return {
    action: 'update',
    reason: `BatchSize ${mapping.batchSize} -> ${desired.batchSize} (fastest shard's rate ${Math.round(Math.max(...rates))}/s)`,
    desired,
  };
}
