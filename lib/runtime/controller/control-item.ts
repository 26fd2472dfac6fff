import { CorruptDataError } from '../../core/errors';
import { INITIAL_PID_STATE, parsePidState } from '../../core/rate/pid-state';
import type { PidTerms } from '../../core/rate/pid-terms';
import type { PidState } from '../../core/rate/rate-estimator';
import type { StoredItem, TransactWrite } from '../../ports/checkpoint-store';
import { parseRecord, type CheckpointTotals, type ControlRecord } from '../protocol/checkpoint-record';
import { StorageKeys } from '../protocol/storage-keys';

/** The estimators the controller can run: sluice's guarded PID, or Spark's exact one. */
export const RATE_ESTIMATOR_KINDS = ['sluice', 'pid'] as const;
/** `sluice` (`SluiceRateController`) or `pid` (Spark's `PidRateEstimator`); both keep a `PidState`, so a switch keeps the memory. */
export type RateEstimatorKind = (typeof RATE_ESTIMATOR_KINDS)[number];

/** The checkpoint totals at one controller sample: the next sample is differenced against them. */
export interface ControlSample extends CheckpointTotals {
  readonly atMs: number;
}

/**
 * A shard's control item (`meta#control`) as the controller writes it: the published rate that
 * processors enforce, plus what the controller needs to go on in its next invocation and what
 * `sluice status` shows. Processors read only `rateLimit`.
 */
export interface ControlItem extends ControlRecord {
  /** Records per second the shard may take; absent until the first estimate. */
  readonly rateLimit?: number;
  /** When `rateLimit` was last estimated. */
  readonly updatedAtMs?: number;
  readonly estimator: RateEstimatorKind;
  /** The estimator's memory (Spark's latestTime, latestRate, latestError), restored by `fromJSON`. */
  readonly pid: PidState;
  /** Spark's four PID quantities at the latest estimate, for operators (the sluice estimator adds clamps). */
  readonly terms?: PidTerms;
  /** Inputs of the latest estimate: records, processing ms and scheduling delay over the sample. */
  readonly inputs?: { readonly records: number; readonly processingMs: number; readonly schedulingDelayMs: number };
  readonly sample?: ControlSample;
  /** The controller's latest visit, whether or not it estimated: a stale heartbeat = controller down. */
  readonly heartbeat: { readonly atMs: number; readonly invocationId: string };
}

/** A control item read back, with the item version its next write is conditioned on. */
export interface StoredControl {
  readonly control: ControlItem | undefined;
  /** `undefined` when the item does not exist. */
  readonly version: number | undefined;
}

/**
 * Decodes a stored control item. An item written by hand (only `rateLimit`) reads as a controller
 * that has not estimated yet; a PID state of the wrong shape is corruption and throws.
 */
export function readControlItem(item: StoredItem | undefined): StoredControl {
  if (item === undefined) return { control: undefined, version: undefined };
  const key = `${item.pk}/${item.sk}`;
  const raw = parseRecord<Record<string, unknown>>(key, item.data);
  if (raw === null || typeof raw !== 'object') throw new CorruptDataError(key, 'control item must be a JSON object');
  const control: ControlItem = {
    ...raw,
    estimator: raw.estimator === 'pid' ? 'pid' : 'sluice',
    pid: raw.pid === undefined ? INITIAL_PID_STATE : parsePidState(`${key}.pid`, raw.pid),
    heartbeat: (raw.heartbeat as ControlItem['heartbeat'] | undefined) ?? { atMs: -1, invocationId: '' },
  };
  return { control, version: item.version };
}

/**
 * The write that publishes `control` for a shard: a Put of `meta#control` only, conditioned on the
 * version read, so two overlapping controller runs never interleave their PID states. The
 * checkpoint item is never touched: the processors' fenced commit owns it.
 */
export function controlWrite(app: string, shardId: string, control: ControlItem, previousVersion: number | undefined): TransactWrite {
  return {
    kind: 'put',
    item: { pk: StorageKeys.shardPartition(app, shardId), sk: StorageKeys.CONTROL_SK, version: (previousVersion ?? 0) + 1, data: JSON.stringify(control) },
    condition: previousVersion === undefined ? { absent: true } : { version: previousVersion },
  };
}
