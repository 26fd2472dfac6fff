import { describe, expect, it } from 'vitest';
import { arrivalRateAt, arrivalsPerTick } from '../../../../lib/core/sim/arrival-profile';
import type { ArrivalProfile } from '../../../../lib/core/sim/arrival-profile';

const profile = (p: Partial<ArrivalProfile>): ArrivalProfile => ({
  kind: 'steady',
  baseRatePerShard: 100,
  factor: 10,
  startSeconds: 10,
  lengthSeconds: 5,
  ...p,
});
const total = (p: ArrivalProfile, seconds: number, tickMs = 10): number => arrivalsPerTick(p, tickMs, (seconds * 1000) / tickMs).reduce((a, b) => a + b, 0);

describe('arrivalsPerTick', () => {
  it.each<[string, ArrivalProfile, number, number]>([
    ['steady: rate × time', profile({ baseRatePerShard: 900 }), 10, 9000],
    ['spike: base plus factor × base over the stretch', profile({ kind: 'spike' }), 60, 100 * 55 + 1000 * 5],
    [
      'ramp: the mean of base and factor × base over the ramp, then the top',
      profile({ kind: 'ramp', startSeconds: 0, lengthSeconds: 10, factor: 2 }),
      20,
      1500 + 2000,
    ],
    ['sine: the mid-point rate over whole periods', profile({ kind: 'sine', lengthSeconds: 10, factor: 3 }), 20, 200 * 20],
    ['fractional rates: nothing lost to rounding', profile({ baseRatePerShard: 0.5 }), 10, 5],
  ])('%s', (_name, p, seconds, expected) => {
    // Act
    const arrived = total(p, seconds);

    // Assess
    expect(arrived).toBe(expected);
  });

  it('returns whole, non-negative counts', () => {
    // Act
    const ticks = arrivalsPerTick(profile({ kind: 'sine', baseRatePerShard: 333.3, factor: 2.7 }), 10, 3000);

    // Assess
    expect(ticks.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
  });
});

describe('arrivalRateAt', () => {
  it.each<[string, ArrivalProfile, number, number]>([
    ['spike before', profile({ kind: 'spike' }), 9_999, 100],
    ['spike during', profile({ kind: 'spike' }), 10_000, 1000],
    ['spike after', profile({ kind: 'spike' }), 15_000, 100],
    ['ramp half way', profile({ kind: 'ramp' }), 12_500, 550],
    ['sine at half a period', profile({ kind: 'sine', lengthSeconds: 10 }), 5_000, 1000],
  ])('%s', (_name, p, tMs, expected) => {
    // Act / Assess
    expect(arrivalRateAt(p, tMs)).toBeCloseTo(expected, 9);
  });
});
