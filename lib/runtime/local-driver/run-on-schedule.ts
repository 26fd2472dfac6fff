import type { Clock } from '../../ports/clock';
import { sleepUnlessAborted } from './sleep-unless-aborted';

/** Why a local run stopped. */
export type StopReason = 'drained' | 'duration' | 'signal';

/** What one batch interval did. */
export interface RoundResult {
  /** A finite source has nothing left, everything read is committed, and no window waits for a tick. */
  readonly drained: boolean;
  readonly batches: number;
  readonly records: number;
}

/**
 * Runs `round` once per batch interval, from now, until it drains the source, `durationMs` passes or
 * `signal` aborts. Behind schedule, the next round starts at once and its scheduling delay shows it.
 */
export async function runOnSchedule(
  options: { readonly clock: Clock; readonly batchIntervalMs: number; readonly durationMs?: number; readonly signal?: AbortSignal },
  round: (scheduledMs: number) => Promise<RoundResult>,
): Promise<{ stoppedBy: StopReason; batches: number; records: number }> {
  const { clock, batchIntervalMs, signal } = options;
  const startMs = clock.nowMs();
  const endMs = options.durationMs === undefined ? Infinity : startMs + options.durationMs;
  let scheduledMs = startMs;
  let batches = 0;
  let records = 0;
  for (;;) {
    if (signal?.aborted) return { stoppedBy: 'signal', batches, records };
    const done = await round(scheduledMs);
    batches += done.batches;
    records += done.records;
    if (done.drained) return { stoppedBy: 'drained', batches, records };
    scheduledMs += batchIntervalMs;
    const now = clock.nowMs();
    if (now >= endMs || scheduledMs >= endMs) return { stoppedBy: 'duration', batches, records };
    if (scheduledMs > now) await sleepUnlessAborted(clock, scheduledMs - now, signal);
  }
}
