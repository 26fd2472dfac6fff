import type { Clock } from '../../ports/clock';

/**
 * Sleeps `ms` on `clock`, or less if `signal` aborts. The abort listener is removed when the sleep
 * ends first: a loop adds one per round, so leaving them would grow the signal's listeners (and the
 * heap they hold) with every round.
 */
export async function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return clock.sleep(ms);
  if (signal.aborted) return;
  let onAbort!: () => void;
  const aborted = new Promise<void>((resolve) => (onAbort = resolve));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([clock.sleep(ms), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
