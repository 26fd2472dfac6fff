import type { Clock } from '../../lib/ports/clock';

/** Options of {@link FakeClock}. */
export interface FakeClockOptions {
  /** Time the clock starts at, in ms since the epoch. @default 0 */
  readonly startMs?: number;
  /**
   * When true, `sleep(ms)` moves the clock forward by `ms` and resolves at once, so loops that
   * sleep between iterations (the local driver, retries, the controller) run instantly.
   * @default false — time moves only through {@link FakeClock.advance}.
   */
  readonly autoAdvance?: boolean;
}

type Sleeper = { readonly dueMs: number; readonly seq: number; readonly resolve: () => void };

/**
 * A manual {@link Clock} for tests: time stands still until the test calls `advance(ms)`, which
 * wakes every sleeper due in that span, earliest first, with `nowMs()` at each sleeper's due time.
 *
 * @example
 * const clock = new FakeClock({ startMs: 1_000 });
 * const slept = clock.sleep(500);
 * await clock.advance(500); // slept resolves; clock.nowMs() === 1_500
 */
export class FakeClock implements Clock {
  readonly #autoAdvance: boolean;
  #nowMs: number;
  #seq = 0;
  #sleepers: Sleeper[] = [];

  constructor(options: FakeClockOptions = {}) {
    this.#nowMs = options.startMs ?? 0;
    this.#autoAdvance = options.autoAdvance ?? false;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    if (this.#autoAdvance) {
      this.#nowMs += ms;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#sleepers.push({ dueMs: this.#nowMs + ms, seq: this.#seq++, resolve });
    });
  }

  /** Sleeps not yet woken. */
  get pendingSleeps(): number {
    return this.#sleepers.length;
  }

  /**
   * Moves time forward by `ms`, waking due sleepers one at a time in due order. After each wake it
   * lets the woken code run until it blocks again, so a sleep it starts within the span also fires.
   * That wait is one real `setImmediate` turn: do not combine with `vi.useFakeTimers()`.
   */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`FakeClock.advance: ms must be >= 0 (given ${ms})`);
    const targetMs = this.#nowMs + ms;
    for (;;) {
      const next = this.#nextDue(targetMs);
      if (next === undefined) break;
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      this.#nowMs = next.dueMs;
      next.resolve();
      // A macrotask turn drains every microtask the woken code queues (awaits chained on it).
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#nowMs = targetMs;
  }

  #nextDue(targetMs: number): Sleeper | undefined {
    let next: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (s.dueMs <= targetMs && (next === undefined || s.dueMs < next.dueMs || (s.dueMs === next.dueMs && s.seq < next.seq))) next = s;
    }
    return next;
  }
}
