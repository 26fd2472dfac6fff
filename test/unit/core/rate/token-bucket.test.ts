import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, CorruptDataError } from '../../../../lib/core/errors';
import { TokenBucket } from '../../../../lib/core/rate/token-bucket';
import type { TokenBucketState } from '../../../../lib/core/rate/token-bucket';

describe('TokenBucket', () => {
  describe('take', () => {
    it.each<[string, TokenBucketState | undefined, number, number, number, number, number, TokenBucketState]>([
      // name, state, now, wanted, rate, burst → granted, state after
      ['grants a full burst to a new shard', undefined, 5000, 500, 100, 2, 200, { tokens: 0, updatedAtMs: 5000 }],
      ['grants only what is wanted and keeps the rest', undefined, 5000, 50, 100, 2, 50, { tokens: 150, updatedAtMs: 5000 }],
      ['refills at the rate for the time elapsed', { tokens: 0, updatedAtMs: 1000 }, 1500, 80, 100, 2, 50, { tokens: 0, updatedAtMs: 1500 }],
      ['caps the refill at one burst', { tokens: 10, updatedAtMs: 0 }, 3_600_000, 1000, 100, 2, 200, { tokens: 0, updatedAtMs: 3_600_000 }],
      ['grants whole records and carries the fraction', { tokens: 0, updatedAtMs: 0 }, 250, 10, 3, 1, 0, { tokens: 0.75, updatedAtMs: 250 }],
      [
        'refills nothing when the clock steps backwards, and keeps the later stamp',
        { tokens: 5, updatedAtMs: 2000 },
        1000,
        10,
        100,
        2,
        5,
        { tokens: 0, updatedAtMs: 2000 },
      ],
      ['caps stored tokens at once when the burst shrinks', { tokens: 200, updatedAtMs: 1000 }, 1000, 500, 10, 2, 20, { tokens: 0, updatedAtMs: 1000 }],
      ['refills at the new rate after a rate change', { tokens: 0, updatedAtMs: 1000 }, 1100, 500, 1000, 1, 100, { tokens: 0, updatedAtMs: 1100 }],
      ['grants nothing when nothing is wanted', { tokens: 3, updatedAtMs: 0 }, 1000, 0, 1, 10, 0, { tokens: 4, updatedAtMs: 1000 }],
    ])('%s', (_name, state, now, wanted, rate, burst, granted, after) => {
      // Act
      const result = TokenBucket.take(state, now, wanted, rate, burst);

      // Assess
      expect(result.granted).toBe(granted);
      expect(result.state.updatedAtMs).toBe(after.updatedAtMs);
      expect(result.state.tokens).toBeCloseTo(after.tokens, 9);
    });

    it('does not mutate the state it is given', () => {
      // Prepare
      const state = Object.freeze({ tokens: 10, updatedAtMs: 0 });

      // Act
      const result = TokenBucket.take(state, 1000, 5, 10, 2);

      // Assess
      expect(state).toEqual({ tokens: 10, updatedAtMs: 0 });
      expect(result.state).toEqual({ tokens: 15, updatedAtMs: 1000 });
    });

    it.each([
      ['a negative wanted count', () => TokenBucket.take(undefined, 0, -1, 10, 1), ConfigError, /^tokenBucket\.wanted: /],
      ['a fractional wanted count', () => TokenBucket.take(undefined, 0, 1.5, 10, 1), ConfigError, /^tokenBucket\.wanted: /],
      ['a zero rate', () => TokenBucket.take(undefined, 0, 1, 0, 1), ConfigError, /^tokenBucket\.ratePerSec: .*\(given 0\)/],
      ['an infinite rate', () => TokenBucket.take(undefined, 0, 1, Infinity, 1), ConfigError, /^tokenBucket\.ratePerSec: /],
      ['a zero burst', () => TokenBucket.take(undefined, 0, 1, 10, 0), ConfigError, /^tokenBucket\.burstSeconds: /],
      ['negative stored tokens', () => TokenBucket.take({ tokens: -1, updatedAtMs: 0 }, 0, 1, 10, 1), CorruptDataError, /^tokenBucket: /],
    ])('rejects %s', (_name, act, type, message) => {
      // Assess
      expect(act).toThrow(type);
      expect(act).toThrow(message);
    });

    it('never grants more than burst + rate × elapsed over any sequence of calls', () => {
      fc.assert(
        fc.property(
          fc.double({ min: 0.01, max: 1e5, noNaN: true }),
          fc.double({ min: 0.01, max: 60, noNaN: true }),
          fc.array(fc.tuple(fc.integer({ min: -5000, max: 5000 }), fc.nat({ max: 1e6 })), { maxLength: 100 }),
          (rate, burst, calls) => {
            // Prepare
            const start = 1_000_000;
            let now = start;
            let latest = start;
            let state: TokenBucketState = TokenBucket.full(start, rate, burst);
            let total = 0;

            // Act
            for (const [step, wanted] of calls) {
              now += step;
              latest = Math.max(latest, now);
              const r = TokenBucket.take(state, now, wanted, rate, burst);
              expect(r.granted).toBeLessThanOrEqual(wanted);
              total += r.granted;
              state = r.state;
            }

            // Assess
            expect(total).toBeLessThanOrEqual(rate * burst + (rate * (latest - start)) / 1000 + 1e-6);
          },
        ),
      );
    });

    it('never grants more than the first burst plus each rate × its interval when the rate changes', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.nat({ max: 1e5 }), fc.double({ min: 0.1, max: 1e4, noNaN: true })), {
            minLength: 1,
            maxLength: 100,
          }),
          (calls) => {
            // Prepare
            const burst = 2;
            let now = 0;
            let state: TokenBucketState | undefined;
            let total = 0;
            let bound = 0;

            // Act
            for (const [step, wanted, rate] of calls) {
              now += step;
              // A new bucket starts full; afterwards each call refills at its own rate for its own interval.
              bound += state === undefined ? rate * burst : (rate * step) / 1000;
              const r = TokenBucket.take(state, now, wanted, rate, burst);
              total += r.granted;
              state = r.state;
            }

            // Assess
            expect(total).toBeLessThanOrEqual(bound + 1e-6);
          },
        ),
      );
    });

    it('is deterministic: equal inputs give equal outputs', () => {
      fc.assert(
        fc.property(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.integer({ min: 0, max: 1e7 }), fc.nat({ max: 1e5 }), (tokens, now, wanted) => {
          // Act
          const a = TokenBucket.take({ tokens, updatedAtMs: 0 }, now, wanted, 250, 3);
          const b = TokenBucket.take({ tokens, updatedAtMs: 0 }, now, wanted, 250, 3);

          // Assess
          expect(a).toEqual(b);
        }),
      );
    });
  });
});
