import { scheduleInvocation } from '../../core/rate/allowance-schedule';
import type { LimiterState } from '../protocol/checkpoint-record';
import type { RateGate } from '../protocol/micro-batch-processor';

/**
 * The allowance schedule's state in the checkpoint item (and the WAL header): where the schedule
 * stands, and when the gate last admitted a batch of this shard.
 */
type ScheduleState = Extract<LimiterState, { scheduledUntilMs: number }>;

/** A schedule untouched for this many batch intervals restarts at the current time. */
const STALE_SCHEDULE_INTERVALS = 2;

/**
 * The processor's rate gate on Lambda, where no batch timer exists: Spark's timer rebuilt as a
 * per-shard allowance schedule (docs/decisions/0003-rate-control.md). Each batch takes at most
 * `rate × batchInterval` records, a shard ahead of its schedule waits (at most one interval), and the
 * scheduling delay it reports grows only while processing runs behind the admitted rate — so the PID
 * never chases the deferrals of its own limit.
 *
 * A schedule restarts at "now" when it is new or stale (no batch for two intervals: the shard was idle
 * or unlimited). Otherwise it would start at the arrival of an old backlog and run unpaced until it
 * caught up with the clock, which is no limit at all. Under a real processing lag invocations follow
 * each other at once, so the schedule is never stale and the lag still shows as delay.
 */
export function allowanceScheduleGate(options: { batchIntervalMs: number; batchingWindowMs: number }): RateGate {
  return ({ limiter, nowMs, wanted, ratePerSec, firstArrivalMs }) => {
    // A token bucket's state (the shard ran locally before) is no schedule: it restarts now.
    const previous = limiter !== undefined && 'scheduledUntilMs' in limiter ? limiter : undefined;
    const stale = previous === undefined || nowMs - previous.lastGateMs > STALE_SCHEDULE_INTERVALS * options.batchIntervalMs;
    const scheduledUntilMs = stale ? nowMs : previous.scheduledUntilMs;
    const plan = scheduleInvocation({
      scheduledUntilMs,
      nowMs,
      firstArrivalMs,
      available: wanted,
      ratePerSec,
      batchIntervalMs: options.batchIntervalMs,
      batchingWindowMs: options.batchingWindowMs,
    });
    const waitMs = Math.min(options.batchIntervalMs, Math.max(0, plan.startMs - nowMs));
    const state: ScheduleState = { scheduledUntilMs: plan.scheduledUntilMs, lastGateMs: nowMs + waitMs };
    return { granted: plan.admitted, limiter: state, waitMs, schedulingDelayMs: plan.schedulingDelayMs };
  };
}
