import type { FakeClock } from '../../helpers/fake-clock';

/**
 * Moves a fake clock forward in steps, each only once every loop under test is asleep on it
 * (`sleepers` pending sleeps): real I/O against the emulator then takes no fake time, and what a
 * test measures per fake second does not depend on how fast the machine is.
 */
export async function advanceWhenIdle(clock: FakeClock, sleepers: number, totalMs: number, stepMs: number): Promise<void> {
  for (let done = 0; done < totalMs; done += stepMs) {
    await untilAsleep(clock, sleepers);
    await clock.advance(Math.min(stepMs, totalMs - done));
  }
  await untilAsleep(clock, sleepers);
}

async function untilAsleep(clock: FakeClock, sleepers: number): Promise<void> {
  // A guard against a loop that never sleeps again, not a timing assertion.
  const giveUpAt = Date.now() + 20_000;
  while (clock.pendingSleeps < sleepers) {
    if (Date.now() > giveUpAt) throw new Error(`advanceWhenIdle: only ${clock.pendingSleeps} of ${sleepers} loops asleep after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
