import { z } from 'zod';
import type { ReceiverState } from '../../core/exchange/exchange-receiver';
import { CorruptDataError } from '../../core/errors';
import type { CheckpointStore, StoredItem } from '../../ports/checkpoint-store';
import type { StateManifest } from './state/state-manifest';
import { StorageKeys } from './storage-keys';

/**
 * The rate limiter's state, carried from batch to batch in the checkpoint and in each WAL header so
 * that a re-run commits what the first run would have: a token bucket (local mode) or an allowance
 * schedule (Lambda). Each gate reads only its own shape and restarts on the other.
 */
export const TokenBucketStateSchema = z.object({ tokens: z.number(), updatedAtMs: z.number() });
export const ScheduleStateSchema = z.object({ scheduledUntilMs: z.number(), lastGateMs: z.number() });
export const LimiterStateSchema = z.union([TokenBucketStateSchema, ScheduleStateSchema]);
export type LimiterState = z.infer<typeof LimiterStateSchema>;

/** The last batch's figures in the checkpoint: what `sluice status` shows and the controller samples. */
export const LastBatchSchema = z.object({
  records: z.number(),
  processingMs: z.number(),
  quarantined: z.number(),
  quarantinedElements: z.number(),
  schedulingDelayMs: z.number(),
  millisBehind: z.number().optional(),
  rateLimit: z.number().optional(),
  batchTimeMs: z.number(),
  /** True when the batch was re-run from its WAL object (a retry after a crash); absent = false. */
  replayed: z.boolean().optional(),
});
export type LastBatch = z.infer<typeof LastBatchSchema>;

/**
 * The shard's checkpoint item (`meta#checkpoint`), written only by the fenced commit. Its item
 * version equals `batchNo`, which is what the next commit's condition tests.
 */
export interface CheckpointRecord {
  readonly batchNo: number;
  /** Highest sequence number committed; records at or below it are redeliveries. */
  readonly committedSeq: string | null;
  readonly stateLayout: string;
  /**
   * Where the state of this batch is: a snapshot and the deltas after it, in the object store
   * (docs/decisions/0008). Absent for a pipeline without state, and before any batch changed state.
   */
  readonly state?: StateManifest;
  readonly limiter?: LimiterState;
  readonly lastBatch?: LastBatch;
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
  /** A sending stage whose elements carry event time: the greatest event time it sent. */
  readonly sentEventMs?: number | null;
  /** A sending stage sent its end marker: its input ended. */
  readonly ended?: true;
  /** A sending stage: how many partitions it sends to; a pipeline that changes it is refused (keys would leave their state). */
  readonly sentPartitions?: number;
  /** A receiving stage: the partition this shard holds (`[index, of partitions]`), from the chunks it received. */
  readonly partition?: readonly [index: number, partitions: number];
  /** A receiving shard that took over a closed exchange shard's partition (a split): the shard whose state and marks it started from. */
  readonly inheritedFrom?: string;
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

const CheckpointTotalsSchema = z.object({
  batches: z.number(),
  records: z.number(),
  processingMs: z.number(),
  quarantined: z.number(),
  quarantinedElements: z.number().optional(),
});

const StateManifestSchema = z.object({
  snapshot: z.object({ batchNo: z.number(), bytes: z.number(), keys: z.number(), rawBytes: z.number(), tag: z.string().optional() }).optional(),
  deltas: z.array(z.tuple([z.number(), z.number()])),
  deltaBytes: z.number(),
  tags: z.record(z.string(), z.string()).optional(),
  keys: z.number(),
});

const OriginMarkSchema = z.object({
  complete: z.number().int().nonnegative(),
  watermarkMs: z.number().nullable(),
  current: z
    .object({
      batchNo: z.number().int(),
      count: z.number().int(),
      seen: z.array(z.number().int()),
      watermarkMs: z.number().nullable(),
      end: z.boolean().optional(),
      children: z.array(z.string()).optional(),
      eventMs: z.number().nullable().optional(),
    })
    .optional(),
  ended: z.boolean().optional(),
  events: z.array(z.tuple([z.number(), z.number()])).optional(),
});

const CheckpointExchangeSchema = z.object({
  received: z.record(z.string(), OriginMarkSchema).optional(),
  sentWatermarkMs: z.number().nullable().optional(),
  sentEventMs: z.number().nullable().optional(),
  ended: z.literal(true).optional(),
  sentPartitions: z.number().int().positive().optional(),
  partition: z.tuple([z.number().int().nonnegative(), z.number().int().positive()]).optional(),
  inheritedFrom: z.string().optional(),
});

/** The checkpoint item as stored; fields it does not name (from a newer writer) are dropped on read. */
const CheckpointRecordSchema: z.ZodType<CheckpointRecord> = z.object({
  batchNo: z.number().int().nonnegative(),
  committedSeq: z.string().nullable(),
  stateLayout: z.string(),
  state: StateManifestSchema.optional(),
  limiter: LimiterStateSchema.optional(),
  lastBatch: LastBatchSchema.optional(),
  totals: CheckpointTotalsSchema.optional(),
  tickDueAtMs: z.number().optional(),
  recordsCommittedAtMs: z.number().optional(),
  sourceId: z.string().optional(),
  updatedAtMs: z.number(),
  exchange: CheckpointExchangeSchema.optional(),
});

/** Decodes a checkpoint item's data, checked against its schema; `key` names it in a CorruptDataError. */
export function parseCheckpoint(key: string, data: string): CheckpointRecord {
  return checked(key, 'checkpoint item', CheckpointRecordSchema, parseRecord<unknown>(key, data));
}

/** Reads and decodes the checkpoint of `app`'s shard; undefined before its first commit. */
export async function readCheckpoint(checkpoints: CheckpointStore, app: string, shardId: string): Promise<CheckpointRecord | undefined> {
  const pk = StorageKeys.shardPartition(app, shardId);
  const item: StoredItem | undefined = await checkpoints.get(pk, StorageKeys.CHECKPOINT_SK);
  return item === undefined ? undefined : parseCheckpoint(`${pk}/${item.sk}`, item.data);
}

/** The highest committed sequence number of `app`'s shard; null before its first commit. */
export async function readCommittedSeq(checkpoints: CheckpointStore, app: string, shardId: string): Promise<string | null> {
  return (await readCheckpoint(checkpoints, app, shardId))?.committedSeq ?? null;
}

/** `value` checked against `schema`, or a CorruptDataError naming `key`, `what` and each problem. */
export function checked<T>(key: string, what: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new CorruptDataError(key, `${what} does not match its schema: ${problems.join('; ')}`);
}

export function parseRecord<T>(key: string, data: string): T {
  try {
    return JSON.parse(data) as T;
  } catch (cause) {
    throw new CorruptDataError(key, 'item data is not valid JSON', { cause });
  }
}
