import type { SourceRecord } from '../../core/source-record';

/** The delays of one invocation, fed to the batch's stats, the EMF metrics and the rate controller. */
export interface InvocationDelays {
  readonly schedulingDelayMs: number;
  readonly millisBehind: number;
}

/**
 * What Spark's `schedulingDelay` and Kinesis' `MillisBehindLatest` mean for a Lambda invocation,
 * which has no batch timer and no iterator of its own (docs/architecture.md §6):
 *
 * - **scheduling delay** = processing start − arrival of the event's first record − the batching
 *   window. The window is time the ESM waits by design, as Spark's batch interval is; what remains is
 *   the time the batch queued behind earlier ones (a shard runs one batch at a time) or behind a
 *   cold start or a retry. Clamped at 0, since arrival stamps come from another clock.
 * - **ms behind** = processing start − arrival of the event's LAST record: Lambda's `IteratorAge`,
 *   the age of the newest record the function has been given, which is as far behind the tip of
 *   the shard as the invocation can know.
 *
 * This is the delay of an unlimited shard. Under a rate limit the allowance-schedule gate replaces
 * it (docs/decisions/0003-rate-control.md): records the limit deferred keep their arrival time, and
 * counting that wait as delay would make the PID chase its own deferrals.
 */
export function invocationDelays(processingStartMs: number, records: readonly SourceRecord[], batchingWindowMs: number): InvocationDelays {
  const first = records[0]?.arrivalMs ?? processingStartMs;
  const last = records[records.length - 1]?.arrivalMs ?? processingStartMs;
  return {
    schedulingDelayMs: Math.max(0, processingStartMs - first - batchingWindowMs),
    millisBehind: Math.max(0, processingStartMs - last),
  };
}
