import { ConfigError } from '../errors';
import type { BatchInfo, EventTimeFn, OpSpec, OutputOp, WindowSpec } from '../pipeline/op-spec';
import { STATEFUL_KINDS, WINDOW_KINDS } from '../pipeline/op-spec';
import type { LateRecord } from './windowed';

/** Late records printed per batch when a window has no `onLate`. */
export const DEFAULT_LATE_PRINT_COUNT = 10;

/** Options of the window operators: `window`, `reduceByKeyAndWindow`, `countByWindow`. */
export interface WindowOptions<T> {
  /** Length of a window, a positive integer of milliseconds. */
  readonly windowMs: number;
  /**
   * Time between the starts of two windows, as in Spark: windows overlap by `windowMs - slideMs`
   * when it is shorter than `windowMs`; when it is longer they sample (a 2 s window every 3 s), and
   * an element between two windows is in none.
   * @default - windowMs (tumbling windows)
   */
  readonly slideMs?: number;
  /**
   * The time of an element, in ms since the epoch (Flink's `TimestampAssigner`). `arrivalMs` is
   * the record's arrival time, to fall back on.
   * @default - the arrival time of the record (Kinesis `approximateArrivalTimestamp`)
   */
  readonly eventTime?: (element: T, arrivalMs: number) => number;
  /**
   * How far behind the largest time seen an element may still be in order: the watermark is that
   * largest time minus this.
   * @default 0
   */
  readonly maxOutOfOrdernessMs?: number;
  /**
   * How long after the watermark passed its end a window waits for late elements before it is
   * emitted. A window is emitted once, when `watermark >= end + allowedLatenessMs`.
   * @default 0
   */
  readonly allowedLatenessMs?: number;
  /**
   * Receives, once per batch that has any, the elements that arrived after every window they
   * belong to was emitted (the late side output). Runs before the commit like `foreachBatch`, so
   * it must be idempotent per `info.batchId`.
   * @default - the first 10 late elements of each batch are printed, under the id `NAME-late`
   */
  readonly onLate?: (records: Array<LateRecord<T>>, info: BatchInfo) => void | Promise<void>;
  /**
   * Name of the operator's state in the checkpoint. Keep it stable across deployments.
   * @default - `window-N`, N counting the window operators from the start of the pipeline
   */
  readonly name?: string;
}

/** Options of `reduceByKeyAndWindow`. */
export interface ReduceWindowOptions<K, V> extends WindowOptions<readonly [K, V]> {
  /**
   * Undoes `reduce` (`inverse(reduce(a, b), b)` equals `a`), like Spark's `invReduceFunc`: a sliding
   * window is then updated by adding the entering slide and subtracting the leaving one, instead of
   * reducing every slide of the window again. A key leaves a window when none of its values is in it.
   * @default - every window is reduced from its slides
   */
  readonly inverse?: (a: V, b: V) => V;
}

/** Validates window options and builds the part of the operator every window kind shares. */
export function windowSpec(kind: string, options: WindowOptions<never>, ops: readonly OpSpec[]): WindowSpec {
  const windowMs = options.windowMs;
  const slideMs = options.slideMs ?? windowMs;
  positiveInteger(`${kind}.windowMs`, windowMs);
  positiveInteger(`${kind}.slideMs`, slideMs);
  const maxOutOfOrdernessMs = nonNegative(`${kind}.maxOutOfOrdernessMs`, options.maxOutOfOrdernessMs ?? 0);
  const allowedLatenessMs = nonNegative(`${kind}.allowedLatenessMs`, options.allowedLatenessMs ?? 0);
  const id = statefulId(kind, options.name, `window-${ops.filter((op) => WINDOW_KINDS.has(op.kind)).length}`, ops);
  const late: OutputOp =
    options.onLate === undefined
      ? { kind: 'print', id: `${id}-late`, n: DEFAULT_LATE_PRINT_COUNT }
      : { kind: 'foreachBatch', id: `${id}-late`, fn: options.onLate as (items: unknown[], info: BatchInfo) => void };
  return {
    id,
    ...(options.name === undefined ? { unnamed: true } : {}),
    windowMs,
    slideMs,
    eventTime: options.eventTime as EventTimeFn | undefined,
    maxOutOfOrdernessMs,
    allowedLatenessMs,
    late,
  };
}

/** The id of a new stateful operator: `name` if given and valid, else `fallback`; unique in the pipeline. */
export function statefulId(kind: string, name: string | undefined, fallback: string, ops: readonly OpSpec[]): string {
  const id = name ?? fallback;
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(id)) {
    throw new ConfigError(`${kind}.name`, `must be 1-40 letters, digits, '-' or '_' (given ${JSON.stringify(id)})`);
  }
  if (ops.some((op) => STATEFUL_KINDS.has(op.kind) && 'id' in op && op.id === id)) {
    throw new ConfigError(`${kind}.name`, `${JSON.stringify(id)} is used twice in this pipeline`);
  }
  return id;
}

function positiveInteger(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(field, `must be a positive integer of milliseconds (given ${value})`);
}

/** Checks a duration that may be zero. */
export function nonNegative(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(field, `must be an integer ≥ 0 of milliseconds (given ${value})`);
  return value;
}
