import type { Clock } from '../../ports/clock';

/**
 * The real {@link Clock}: wall time from `Date.now()`, sleeps on `setTimeout`.
 * Tests use `FakeClock` (test/helpers) instead, so nothing waits on real time.
 */
export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }

  /** Resolves after at least `ms` milliseconds; at once (on the next macrotask) when `ms <= 0`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}
