import { INITIAL_PID_STATE } from '../../core/rate/pid-state';
import { isValidBatch, pidTerms } from '../../core/rate/pid-terms';
import type { CheckpointRecord } from '../protocol/checkpoint-record';
import type { ControlItem, ControlSample } from './control-item';
import { createRateEstimator, type EstimatorConfig } from './create-rate-estimator';

/** Everything one control step of one shard looks at. */
export interface ShardControlInput {
  readonly nowMs: number;
  /** The shard's checkpoint item, with the processors' running totals. */
  readonly checkpoint: CheckpointRecord | undefined;
  /** The control item as the controller left it (or `undefined` before its first visit). */
  readonly previous: ControlItem | undefined;
  readonly estimator: EstimatorConfig;
  readonly invocationId: string;
  /** An idle shard's control item is rewritten only this often, to refresh the heartbeat. */
  readonly heartbeatIntervalMs: number;
}

/**
 * One control step of one shard: differences the checkpoint's running totals against the previous
 * sample (many batches commit between two samples), feeds records, processing time and the latest
 * batch's scheduling delay to the estimator rebuilt from the stored PID state, and returns the
 * control item to write — or `undefined` when nothing changed and the heartbeat is fresh.
 *
 * No estimate (the estimator declines, or no batch committed) keeps the published rate: a
 * controller never withdraws a limit, it only replaces it.
 */
export function nextControlItem(input: ShardControlInput): ControlItem | undefined {
  const { nowMs, checkpoint, previous, estimator } = input;
  const totals = checkpoint?.totals;
  const heartbeat = { atMs: nowMs, invocationId: input.invocationId };
  const base: ControlItem =
    previous === undefined ? { estimator: estimator.kind, pid: INITIAL_PID_STATE, heartbeat } : { ...previous, estimator: estimator.kind, heartbeat };
  const heartbeatDue = previous === undefined || nowMs - previous.heartbeat.atMs >= input.heartbeatIntervalMs;
  if (totals === undefined) return heartbeatDue ? base : undefined;

  const sample: ControlSample = {
    atMs: nowMs,
    batches: totals.batches,
    records: totals.records,
    processingMs: totals.processingMs,
    quarantined: totals.quarantined,
  };
  const last = previous?.sample;
  // No baseline yet, or the totals went backwards (the app's checkpoints were reset): start over.
  if (last === undefined || totals.batches < last.batches || totals.records < last.records) return { ...base, sample };
  if (totals.batches === last.batches) return heartbeatDue ? base : undefined;

  const records = totals.records - last.records;
  const processingMs = totals.processingMs - last.processingMs;
  const delay = checkpoint?.lastBatch?.schedulingDelayMs;
  const schedulingDelayMs = typeof delay === 'number' && Number.isFinite(delay) ? Math.max(0, delay) : 0;
  const pid = base.pid;
  const terms =
    isValidBatch(pid, nowMs, records, processingMs) && !pid.firstRun
      ? pidTerms(pid, estimator.batchIntervalMs, nowMs, records, processingMs, schedulingDelayMs)
      : base.terms;
  const rate = createRateEstimator(estimator, pid);
  const next = rate.compute(nowMs, records, processingMs, schedulingDelayMs);
  return {
    ...base,
    ...(next === undefined ? {} : { rateLimit: next, updatedAtMs: nowMs }),
    pid: rate.toJSON(),
    ...(terms === undefined ? {} : { terms }),
    inputs: { records, processingMs, schedulingDelayMs },
    sample,
  };
}
