import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateSchedule, rateProfileSchema } from '../../../../../lib/adapters/local/sources/rate-profile';

const spike = { kind: 'spike', rate: 1_000, spikeAtMs: 3_000, spikeDurationMs: 2_000, factor: 10 } as const;

describe('RateSchedule', () => {
  describe('availableAt', () => {
    it.each([
      [0, 0],
      [1, 1],
      [1_000, 1_000],
      [3_000, 3_000],
      [3_001, 3_010],
      [4_000, 13_000],
      [5_000, 23_000],
      [6_000, 24_000],
    ])('makes %d ms of the default spike hold %d records', (elapsedMs, records) => {
      // Prepare
      const schedule = new RateSchedule(spike);

      // Act
      const available = schedule.availableAt(elapsedMs);

      // Assess
      expect(available).toBe(records);
    });

    it('grows linearly at a steady rate', () => {
      // Prepare
      const schedule = new RateSchedule({ kind: 'steady', rate: 250 });

      // Act
      const counts = [0, 3, 4, 1_000, 10_000].map((ms) => schedule.availableAt(ms));

      // Assess
      expect(counts).toEqual([0, 0, 1, 250, 2_500]);
    });
  });

  describe('arrivalOffsetMs', () => {
    it('is the inverse of availableAt: record k arrives at the first ms that holds k records', () => {
      fc.assert(
        fc.property(
          fc.record({
            rate: fc.integer({ min: 1, max: 50_000 }),
            spikeAtMs: fc.integer({ min: 0, max: 10_000 }),
            spikeDurationMs: fc.integer({ min: 0, max: 5_000 }),
            factor: fc.double({ min: 0.1, max: 20, noNaN: true }),
          }),
          fc.integer({ min: 1, max: 500_000 }),
          (shape, k) => {
            // Prepare
            const schedule = new RateSchedule({ kind: 'spike', ...shape });

            // Act
            const at = schedule.arrivalOffsetMs(k);

            // Assess
            expect(schedule.availableAt(at)).toBeGreaterThanOrEqual(k);
            expect(at === 0 || schedule.availableAt(at - 1) < k).toBe(true);
          },
        ),
      );
    });
  });
});

describe('rateProfileSchema', () => {
  it('rejects a zero rate', () => {
    // Act
    const result = rateProfileSchema.safeParse({ kind: 'steady', rate: 0 });

    // Assess
    expect(result.success).toBe(false);
  });
});
