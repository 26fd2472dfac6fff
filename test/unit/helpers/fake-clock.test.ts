import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../helpers/fake-clock';

describe('FakeClock', () => {
  describe('nowMs', () => {
    it('starts at the given time and stands still without advance', () => {
      // Act
      const clock = new FakeClock({ startMs: 5_000 });
      // Assess
      expect([clock.nowMs(), clock.nowMs()]).toEqual([5_000, 5_000]);
    });
  });

  describe('advance', () => {
    it('wakes a sleeper only once time passes its due time', async () => {
      // Prepare
      const clock = new FakeClock();
      let woke = false;
      void clock.sleep(100).then(() => (woke = true));
      // Act
      await clock.advance(99);
      const early = woke;
      await clock.advance(1);
      // Assess
      expect(early).toBe(false);
      expect(woke).toBe(true);
      expect(clock.pendingSleeps).toBe(0);
    });

    it('wakes sleepers in due order with nowMs at each due time', async () => {
      // Prepare
      const clock = new FakeClock({ startMs: 1_000 });
      const woken: Array<[string, number]> = [];
      for (const [name, ms] of [
        ['late', 300],
        ['early', 100],
        ['middle', 200],
      ] as const) {
        void clock.sleep(ms).then(() => woken.push([name, clock.nowMs()]));
      }
      // Act
      await clock.advance(1_000);
      // Assess
      expect(woken).toEqual([
        ['early', 1_100],
        ['middle', 1_200],
        ['late', 1_300],
      ]);
      expect(clock.nowMs()).toBe(2_000);
    });

    it('runs a loop that sleeps again within the advanced span', async () => {
      // Prepare
      const clock = new FakeClock();
      const ticks: number[] = [];
      const loop = (async () => {
        for (let i = 0; i < 5; i++) {
          await clock.sleep(100);
          ticks.push(clock.nowMs());
        }
      })();
      // Act
      await clock.advance(350);
      // Assess
      expect(ticks).toEqual([100, 200, 300]);
      await clock.advance(200);
      await loop;
      expect(ticks).toEqual([100, 200, 300, 400, 500]);
    });

    it('rejects a negative duration', async () => {
      // Act
      const advanced = new FakeClock().advance(-1);
      // Assess
      await expect(advanced).rejects.toThrow(RangeError);
    });
  });

  describe('sleep', () => {
    it('moves time and resolves at once with autoAdvance', async () => {
      // Prepare
      const clock = new FakeClock({ startMs: 10, autoAdvance: true });
      // Act
      for (let i = 0; i < 1_000; i++) await clock.sleep(1_000);
      // Assess
      expect(clock.nowMs()).toBe(1_000_010);
      expect(clock.pendingSleeps).toBe(0);
    });

    it('resolves a zero-length sleep without advance', async () => {
      // Act
      const slept = new FakeClock().sleep(0);
      // Assess
      await expect(slept).resolves.toBeUndefined();
    });
  });
});
