/**
 * The nodes of a pipeline's graph as data. The builder ({@link Stream}) appends them; the engine
 * compiles them into fused passes. Element ops run once per element; barrier ops end a fused pass;
 * output ops tap the stream without changing it.
 */
export type ElementOp =
  | { readonly kind: 'map'; readonly fn: (x: unknown) => unknown }
  | { readonly kind: 'flatMap'; readonly fn: (x: unknown) => Iterable<unknown> }
  | { readonly kind: 'filter'; readonly fn: (x: unknown) => boolean }
  | { readonly kind: 'mapValues'; readonly fn: (v: unknown) => unknown };

export type BarrierOp =
  | { readonly kind: 'reduceByKey'; readonly fn: (a: unknown, b: unknown) => unknown }
  | { readonly kind: 'countByValue' }
  | { readonly kind: 'transform'; readonly fn: (items: unknown[]) => unknown[] }
  | UpdateStateByKeyOp
  | WindowOp
  | MapWithStateOp;

export interface UpdateStateByKeyOp {
  readonly kind: 'updateStateByKey';
  /** Stable id of the operator's state in the checkpoint. */
  readonly id: string;
  /** True when `id` is the positional default (no `name` given). */
  readonly unnamed?: boolean;
  readonly update: (values: unknown[], state: unknown) => unknown;
  readonly merge: ((a: unknown, b: unknown) => unknown) | undefined;
  readonly idleTimeoutMs: number | undefined;
}

/** When a record happened, for windows and event-time timeouts: Flink's `TimestampAssigner`. */
export type EventTimeFn = (x: unknown, arrivalMs: number) => number;

/** What the window operators share: geometry, time and lateness. See docs/decisions/0004. */
export interface WindowSpec {
  /** Stable id of the operator's state in the checkpoint. */
  readonly id: string;
  /** True when `id` is the positional default (no `name` given). */
  readonly unnamed?: boolean;
  readonly windowMs: number;
  /** Time between two window ends; equal to `windowMs` for tumbling windows, longer for sampling windows. */
  readonly slideMs: number;
  /** `undefined`: the record's arrival time. */
  readonly eventTime: EventTimeFn | undefined;
  readonly maxOutOfOrdernessMs: number;
  readonly allowedLatenessMs: number;
  /** Where records that arrive after all their windows closed go (a side output). */
  readonly late: OutputOp;
}

/** A time-window operator: `window`, `reduceByKeyAndWindow` or `countByWindow`. */
export type WindowOp = WindowSpec &
  (
    | { readonly kind: 'window' }
    | { readonly kind: 'countByWindow' }
    | {
        readonly kind: 'reduceByKeyAndWindow';
        readonly reduce: (a: unknown, b: unknown) => unknown;
        readonly inverse: ((a: unknown, b: unknown) => unknown) | undefined;
      }
  );

export interface MapWithStateOp {
  readonly kind: 'mapWithState';
  /** Stable id of the operator's state in the checkpoint. */
  readonly id: string;
  /** True when `id` is the positional default (no `name` given). */
  readonly unnamed?: boolean;
  readonly fn: (key: unknown, value: unknown, state: unknown) => unknown;
  readonly idleTimeoutMs: number | undefined;
  /** `undefined`: timeouts follow the batch time (Spark's processing-time timeout). */
  readonly eventTime: EventTimeFn | undefined;
  readonly maxOutOfOrdernessMs: number;
  readonly merge: ((a: unknown, b: unknown) => unknown) | undefined;
}

/** The barrier kinds whose operators keep state in the checkpoint. */
export const STATEFUL_KINDS: ReadonlySet<string> = new Set(['updateStateByKey', 'window', 'reduceByKeyAndWindow', 'countByWindow', 'mapWithState']);

/** The time-window barrier kinds. */
export const WINDOW_KINDS: ReadonlySet<string> = new Set(['window', 'reduceByKeyAndWindow', 'countByWindow']);

export type OutputOp =
  | { readonly kind: 'print'; readonly id: string; readonly n: number }
  | { readonly kind: 'foreachBatch'; readonly id: string; readonly fn: ForeachBatchFn }
  | ExchangeOutput;

/**
 * What a stage that ends at an exchange hands the runtime for one batch: `items[p]` holds the
 * `[element, timeMs]` pairs routed to partition `p` of the exchange (docs/decisions/0015). The
 * runtime writes them to the exchange before the batch's commit; no user function sees them.
 */
export interface ExchangeOutput {
  readonly kind: 'exchange';
  readonly id: string;
  readonly partitions: number;
}

/**
 * A stage boundary (`keyBy`, `global`): what comes after it runs on the partitions of an exchange,
 * each key on one partition, so per-key state and windows after it are global (docs/decisions/0015).
 */
export interface ExchangeOp {
  readonly kind: 'exchange';
  readonly mode: 'key' | 'global';
  /** The routing key of an element; `undefined`: the first item of a `[key, value]` pair. */
  readonly key: ((x: unknown) => unknown) | undefined;
  readonly partitions: number;
  /** Pre-aggregate per batch before sending when the next operator allows it (map-side combine). */
  readonly combine: boolean;
  /**
   * Set by `compileStages` when an event-time window follows the exchange (docs/decisions/0015,
   * Time): the element operators between the exchange and the window, run on the sending side after
   * routing, and the window's `eventTime`, so each element crosses with its event time.
   */
  readonly sendSide?: { readonly chain: readonly ElementOp[]; readonly eventTime: EventTimeFn };
}

/** Called once per batch with the stream's elements; must be idempotent per `info.batchId`. */
export type ForeachBatchFn = (items: unknown[], info: BatchInfo) => void | Promise<void>;

/** Identifies a batch for idempotent sinks: the same batch always has the same id and the same items. */
export interface BatchInfo {
  readonly app: string;
  readonly shardId: string;
  readonly batchNo: number;
  readonly batchTimeMs: number;
  /** `${app}/${shardId}/${batchNo}`: use it as the dedup key of whatever you write. */
  readonly batchId: string;
}

export type OpSpec = ElementOp | BarrierOp | OutputOp | ExchangeOp;

/** How the bytes of a source record become the pipeline's input elements. */
export type InputFormat = 'text' | 'json' | 'bytes';

export const ELEMENT_KINDS: ReadonlySet<string> = new Set(['map', 'flatMap', 'filter', 'mapValues']);
export const OUTPUT_KINDS: ReadonlySet<string> = new Set(['print', 'foreachBatch']);
