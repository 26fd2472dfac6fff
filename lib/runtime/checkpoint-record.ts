import type { ReceiverState } from '../core/exchange/exchange-receiver';
import { CorruptDataError } from '../core/errors';
import type { StateManifest } from './state/state-manifest';

/**
 * The shard's checkpoint item (`meta#checkpoint`), written only by the fenced commit. Its item
 * version equals `batchNo`, which is what the next commit's condition tests.
 */
export interface CheckpointRecord {
  readonly batchNo: number;
  /** Highest sequence number committed; records at or below it are redeliveries. */
  readonly committedSeq: string | null;
  readonly stateLayout: string;
  readonly graphVersion: string;
  /**
   * Where the state of this batch is: a snapshot and the deltas after it, in the object store
   * (docs/decisions/0008). Absent for a pipeline without state, and before any batch changed state.
   */
  readonly state?: StateManifest;
  readonly limiter?: unknown;
  readonly lastBatch?: Record<string, unknown>;
  /**
   * Running totals since the shard's first batch. The rate controller samples them every control
   * interval and takes differences, since many batches commit between two samples.
   */
  readonly totals?: CheckpointTotals;
  /**
   * The earliest idle time at which a tick would close an arrival-time window holding data; absent
   * when none would. The controller ticks a quiet shard once this is due (docs/decisions/0007).
   */
  readonly tickDueAtMs?: number;
  /** When a batch holding records last committed (an idle tick holds none); absent before any. */
  readonly recordsCommittedAtMs?: number;
  /** The source the offsets are positions in (a file, a stream ARN); absent when unknown. */
  readonly sourceId?: string;
  readonly updatedAtMs: number;
  /** A stage of a pipeline with exchanges (docs/decisions/0015); absent otherwise. */
  readonly exchange?: CheckpointExchange;
}

/** What a stage keeps of its exchanges, committed with its state in the same fenced write. */
export interface CheckpointExchange {
  /** A receiving stage: per origin, the last complete batch applied and the chunks seen of the next. */
  readonly received?: ReceiverState;
  /** A sending stage: the time progress its last batch sent. */
  readonly sentWatermarkMs?: number | null;
  /** A sending stage sent its end marker: its input ended. */
  readonly ended?: true;
}

export interface CheckpointTotals {
  readonly batches: number;
  readonly records: number;
  readonly processingMs: number;
  readonly quarantined: number;
  /** One key's values set aside after a barrier (docs/decisions/0014). @default 0 */
  readonly quarantinedElements?: number;
}

/** The shard's control item (`meta#control`), written only by the rate controller. */
export interface ControlRecord {
  /** Records per second this shard may take; absent = no published limit. */
  readonly rateLimit?: number;
  readonly updatedAtMs?: number;
  readonly [extra: string]: unknown;
}

export function parseRecord<T>(key: string, data: string): T {
  try {
    return JSON.parse(data) as T;
  } catch (cause) {
    throw new CorruptDataError(key, 'item data is not valid JSON', { cause });
  }
}
