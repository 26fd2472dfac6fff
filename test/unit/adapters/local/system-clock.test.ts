import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SystemClock } from '../../../../lib/adapters/local/system-clock';

describe('SystemClock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  describe('nowMs', () => {
    it('returns the system time in milliseconds', () => {
      // Act
      const now = new SystemClock().nowMs();
      // Assess
      expect(now).toBe(1_700_000_000_000);
    });
  });

  describe('sleep', () => {
    it('resolves once the timer of the given length fires, not before', async () => {
      // Prepare
      let woke = false;
      const slept = new SystemClock().sleep(250).then(() => (woke = true));
      // Act
      await vi.advanceTimersByTimeAsync(249);
      const early = woke;
      await vi.advanceTimersByTimeAsync(1);
      await slept;
      // Assess
      expect(early).toBe(false);
      expect(woke).toBe(true);
    });

    it('treats a negative duration as zero', async () => {
      // Prepare
      const slept = new SystemClock().sleep(-5);
      // Act
      await vi.advanceTimersByTimeAsync(0);
      // Assess
      await expect(slept).resolves.toBeUndefined();
    });
  });
});
