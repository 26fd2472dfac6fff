import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleInvocation } from '../../../../lib/core/rate/allowance-schedule';
import type { InvocationInput, InvocationPlan } from '../../../../lib/core/rate/allowance-schedule';

const base: InvocationInput = {
  scheduledUntilMs: Number.NEGATIVE_INFINITY,
  nowMs: 2000,
  firstArrivalMs: 1000,
  available: 900,
  ratePerSec: 1800,
  batchIntervalMs: 1000,
  batchingWindowMs: 1000,
};

describe('scheduleInvocation', () => {
  it.each<[string, Partial<InvocationInput>, InvocationPlan]>([
    ['starts a light batch at once with no delay', {}, { startMs: 2000, admitted: 900, batchTimeMs: 2000, schedulingDelayMs: 0, scheduledUntilMs: 2500 }],
    [
      'waits for the schedule when the shard is ahead of it',
      { scheduledUntilMs: 3000, nowMs: 2500, firstArrivalMs: 100, available: 5000 },
      { startMs: 3000, admitted: 1800, batchTimeMs: 3000, schedulingDelayMs: 0, scheduledUntilMs: 4000 },
    ],
    [
      'counts the time behind the schedule as scheduling delay',
      { scheduledUntilMs: 3000, nowMs: 3400, firstArrivalMs: 100, available: 5000 },
      { startMs: 3400, admitted: 1800, batchTimeMs: 3000, schedulingDelayMs: 400, scheduledUntilMs: 4000 },
    ],
    [
      'ignores how long records waited in the source because of the limit',
      { scheduledUntilMs: 60_000, nowMs: 60_000, firstArrivalMs: 0, available: 90_000 },
      { startMs: 60_000, admitted: 1800, batchTimeMs: 60_000, schedulingDelayMs: 0, scheduledUntilMs: 61_000 },
    ],
    [
      'stamps a late record at its arrival plus the batching window',
      { scheduledUntilMs: 1200, nowMs: 2600, firstArrivalMs: 1500, available: 10 },
      { startMs: 2600, admitted: 10, batchTimeMs: 2500, schedulingDelayMs: 100, scheduledUntilMs: 2500 + (10 / 1800) * 1000 },
    ],
    [
      'admits one record per batch at rates under one record per interval',
      { ratePerSec: 0.5 },
      { startMs: 2000, admitted: 1, batchTimeMs: 2000, schedulingDelayMs: 0, scheduledUntilMs: 4000 },
    ],
    [
      'only measures when a token bucket already granted the records',
      { scheduledUntilMs: 2600, nowMs: 2500, firstArrivalMs: 100, available: 5000, granted: 300 },
      { startMs: 2500, admitted: 300, batchTimeMs: 2500, schedulingDelayMs: 0, scheduledUntilMs: 2500 + (300 / 1800) * 1000 },
    ],
    [
      'admits everything and measures record age without a limit',
      { ratePerSec: Infinity, nowMs: 5000, available: 20_000 },
      { startMs: 5000, admitted: 20_000, batchTimeMs: 2000, schedulingDelayMs: 3000, scheduledUntilMs: 2000 },
    ],
  ])('%s', (_name, input, expected) => {
    // Act
    const plan = scheduleInvocation({ ...base, ...input });

    // Assess
    expect(plan).toEqual(expected);
  });

  it('keeps the delay ≥ 0, the batch within the allowance and the schedule moving forward', () => {
    fc.assert(
      fc.property(
        fc.record({
          scheduledUntilMs: fc.integer({ min: 0, max: 1e6 }),
          nowMs: fc.integer({ min: 0, max: 1e6 }),
          firstArrivalMs: fc.integer({ min: 0, max: 1e6 }),
          available: fc.integer({ min: 1, max: 1e5 }),
          ratePerSec: fc.double({ min: 0.01, max: 1e5, noNaN: true }),
          batchIntervalMs: fc.integer({ min: 1, max: 10_000 }),
          batchingWindowMs: fc.integer({ min: 0, max: 10_000 }),
        }),
        (input) => {
          // Act
          const plan = scheduleInvocation(input);

          // Assess
          expect(plan.schedulingDelayMs).toBeGreaterThanOrEqual(0);
          expect(plan.startMs).toBeGreaterThanOrEqual(Math.max(input.nowMs, input.scheduledUntilMs));
          expect(plan.admitted).toBeLessThanOrEqual(Math.min(input.available, Math.max(1, (input.ratePerSec * input.batchIntervalMs) / 1000)));
          expect(plan.scheduledUntilMs).toBeGreaterThanOrEqual(input.scheduledUntilMs);
        },
      ),
    );
  });
});
