import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { PidRateEstimator } from '../../../../lib/core/rate/pid-rate-estimator';
import { SluiceRateController } from '../../../../lib/core/rate/sluice-rate-controller';
import type { SluiceRateControllerOptions } from '../../../../lib/core/rate/sluice-rate-controller';

type Batch = readonly [timeMs: number, numElements: number, processingDelayMs: number, schedulingDelayMs: number];

const primed = (options: Partial<SluiceRateControllerOptions> = {}): SluiceRateController => {
  const c = new SluiceRateController({ batchIntervalMs: 1000, ...options });
  c.compute(1000, 1000, 500, 0); // 1900 = 0.95 × 2000
  c.compute(2000, 1000, 1000, 0); // 1425 = 1900 − 0.5 × (1900 − 950)
  return c;
};

const batches = fc.array(
  fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: -5, max: 1e5 }), fc.integer({ min: -5, max: 5000 }), fc.integer({ min: 0, max: 1e5 })),
  { maxLength: 60 },
);

describe('SluiceRateController', () => {
  describe('constructor', () => {
    it.each([
      ['maxRate', { minRate: 100, maxRate: 50 }, /must be a number ≥ 100 \(given 50\)/],
      ['targetUtilization', { targetUtilization: 1.2 }, /must be a number > 0 and ≤ 1 \(given 1.2\)/],
      ['targetUtilization', { targetUtilization: 0 }, /given 0/],
      ['maxIncreasePerInterval', { maxIncreasePerInterval: -0.1 }, /given -0.1/],
      ['maxDelayIntervals', { maxDelayIntervals: -1 }, /given -1/],
      ['integral', { integral: -1 }, /given -1/],
    ])('rejects an out-of-range %s', (field, options, message) => {
      // Act
      const create = (): SluiceRateController => new SluiceRateController({ batchIntervalMs: 1000, ...options });

      // Assess
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(new RegExp(`^rateController\\.${field}: .*${message.source}`));
    });
  });

  describe('compute', () => {
    it.each<[string, Partial<SluiceRateControllerOptions>, Batch, number]>([
      // 1425 − 0.5 × (1425 − 950) − 0.2 × 500 = 1087.5
      ['cuts to 1087.5 when 500 ms of scheduling delay appears', {}, [3000, 1000, 1000, 500], 1087.5],
      // PID: 1425 + 0.5 × (3800 − 1425) = 2612.5, slewed to 1425 × 1.5
      ['slews an increase to 2137.5 (+50 % per interval)', {}, [3000, 4000, 1000, 0], 2137.5],
      // Two intervals elapsed: ceiling 1425 × (1 + 0.5 × 2) = 2850 lets the PID's 2612.5 through.
      ['scales the slew limit with the time elapsed', {}, [4000, 4000, 1000, 0], 2612.5],
      // A 20 s delay counts as 5 intervals: 1425 − 237.5 − 0.2 × 5000 = 187.5 (Spark: minRate).
      ['clamps the delay term to maxDelayIntervals (anti-windup)', {}, [3000, 1000, 1000, 20_000], 187.5],
      ['never publishes more than maxRate', { maxRate: 1200 }, [3000, 4000, 1000, 0], 1200],
      // With Kp 1 the primed rate is 950; 950 − (950 − 95) − 0.2 × 500 < 500.
      ['never publishes less than minRate', { minRate: 500, proportional: 1 }, [3000, 100, 1000, 5000], 500],
      // A static limit below Spark's floor of 100 is the floor too: the limit is what the shard takes.
      ['publishes a maxRate below the default minRate', { maxRate: 99 }, [3000, 100, 1000, 5000], 99],
    ])('%s', (_name, options, batch, expected) => {
      // Prepare
      const controller = primed(options);

      // Act
      const rate = controller.compute(...batch);

      // Assess
      expect(rate).toBeCloseTo(expected, 9);
    });

    it('publishes 95 % of the processing rate from the first valid batch', () => {
      // Prepare
      const controller = new SluiceRateController({ batchIntervalMs: 1000 });

      // Act
      const rates = [controller.compute(1000, 0, 500, 0), controller.compute(1000, 1000, 500, 0)];

      // Assess
      expect(rates).toEqual([undefined, 1900]);
    });

    it("equals Spark's PID after the first batch when its guards are opened up", () => {
      fc.assert(
        fc.property(batches, (rows) => {
          // Prepare
          const spark = new PidRateEstimator({ batchIntervalMs: 1000, derivative: 0.1, minRate: 0.001 });
          const sluice = new SluiceRateController({
            batchIntervalMs: 1000,
            proportional: 1,
            derivative: 0.1,
            minRate: 0.001,
            targetUtilization: 1,
            maxIncreasePerInterval: Infinity,
            maxDelayIntervals: Infinity,
          });
          let time = 0;
          let primedYet = false;

          // Act / Assess
          for (const [step, n, proc, sched] of rows) {
            time += step;
            // Spark primes latestRate with the bare processing rate; without delay on that batch the two agree.
            const first = !primedYet && n > 0 && proc > 0;
            const s = sched * (first ? 0 : 1);
            const expected = spark.compute(time, n, proc, s);
            const actual = sluice.compute(time, n, proc, s);
            if (first) primedYet = true;
            else expect(actual).toEqual(expected);
          }
        }),
      );
    });

    it('stays within [minRate, maxRate] and grows by at most the slew limit', () => {
      fc.assert(
        fc.property(batches, fc.double({ min: 1, max: 1000, noNaN: true }), fc.double({ min: 1, max: 100, noNaN: true }), (rows, minRate, span) => {
          // Prepare
          const maxRate = minRate * span;
          const controller = new SluiceRateController({ batchIntervalMs: 1000, minRate, maxRate });
          let time = 0;
          let last: { rate: number; time: number } | undefined;

          // Act / Assess
          for (const [step, n, proc, sched] of rows) {
            time += step;
            const rate = controller.compute(time, n, proc, sched);
            if (rate === undefined) continue;
            expect(rate).toBeGreaterThanOrEqual(minRate);
            expect(rate).toBeLessThanOrEqual(maxRate);
            if (last !== undefined) expect(rate).toBeLessThanOrEqual(last.rate * (1 + 0.5 * ((time - last.time) / 1000)) * (1 + 1e-12));
            last = { rate, time };
          }
        }),
      );
    });
  });

  describe('fromJSON', () => {
    it('continues exactly where the persisted controller stopped', () => {
      // Prepare
      const straight = primed();
      const restored = SluiceRateController.fromJSON({ batchIntervalMs: 1000 }, JSON.parse(JSON.stringify(primed())));

      // Act
      const rates = [3000, 4000, 5000].map((t) => [straight.compute(t, 1500, 900, 300), restored.compute(t, 1500, 900, 300)]);

      // Assess
      for (const [a, b] of rates) expect(b).toBe(a);
    });
  });
});
