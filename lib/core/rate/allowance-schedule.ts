/** Inputs of {@link scheduleInvocation}: one shard, one Lambda invocation about to allocate a batch. */
export interface InvocationInput {
  /** Where the shard's allowance schedule ended after its previous batch (checkpoint item); `-Infinity` for a new shard. */
  readonly scheduledUntilMs: number;
  /** When the invocation starts processing. */
  readonly nowMs: number;
  /** Arrival time of the first record the invocation was given (Kinesis ApproximateArrivalTimestamp). */
  readonly firstArrivalMs: number;
  /** Records the invocation was given. */
  readonly available: number;
  /** The published rate limit, records per second; `Infinity` when none. */
  readonly ratePerSec: number;
  /** The app's batch interval: one batch may hold at most `rate × batchInterval` records. */
  readonly batchIntervalMs: number;
  /** The event source mapping's batching window (MaximumBatchingWindowInSeconds, in ms). */
  readonly batchingWindowMs: number;
  /**
   * Records another gate (a token bucket) already admitted. Given, the schedule only measures:
   * the batch starts now with exactly these records. Omitted, it paces and admits by itself.
   */
  readonly granted?: number;
}

/** The allocation decided for the invocation and the delays the rate controller is fed. */
export interface InvocationPlan {
  /** Earliest time the batch may start: a shard ahead of its schedule waits until `scheduledUntilMs`. */
  readonly startMs: number;
  /** Records admitted; the rest are deferred (returned as batch item failures). */
  readonly admitted: number;
  /** The batch's time, as Spark's timer would have stamped it. */
  readonly batchTimeMs: number;
  /** `startMs − batchTimeMs`: time spent behind the shard's own schedule. */
  readonly schedulingDelayMs: number;
  /** The schedule after this batch, to store in the checkpoint item. */
  readonly scheduledUntilMs: number;
}

/**
 * Rebuilds Spark's batch timer for a Lambda shard, which has none (docs/decisions/0003-rate-control.md).
 *
 * Each admitted batch occupies `admitted / rate` of schedule time, as a Spark batch of `rate × interval`
 * records occupies one interval. A batch's time is the later of the schedule and the moment its data
 * was ready (first arrival + batching window), never later than its start. The scheduling delay
 * therefore grows only while processing runs behind the admitted rate; records that waited in Kinesis
 * because the limit deferred them add nothing, which keeps the PID from chasing its own deferrals.
 */
export function scheduleInvocation(input: InvocationInput): InvocationPlan {
  const limited = Number.isFinite(input.ratePerSec);
  const perBatch = limited ? Math.max(1, Math.floor((input.ratePerSec * input.batchIntervalMs) / 1000)) : Number.POSITIVE_INFINITY;
  const admitted = input.granted ?? Math.min(input.available, perBatch);
  // A shard ahead of its schedule waits; this is what makes the limit a rate, not a batch size.
  const startMs = limited && input.granted === undefined ? Math.max(input.nowMs, input.scheduledUntilMs) : input.nowMs;
  const readyMs = Math.min(startMs, input.firstArrivalMs + input.batchingWindowMs);
  const batchTimeMs = Math.min(startMs, Math.max(input.scheduledUntilMs, readyMs));
  const scheduledUntilMs = limited ? batchTimeMs + (admitted / input.ratePerSec) * 1000 : batchTimeMs;
  return { startMs, admitted, batchTimeMs, schedulingDelayMs: startMs - batchTimeMs, scheduledUntilMs };
}
