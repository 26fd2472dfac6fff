import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, CorruptDataError } from '../../../../lib/core/errors';
import { PidRateEstimator } from '../../../../lib/core/rate/pid-rate-estimator';

type Batch = readonly [timeMs: number, numElements: number, processingDelayMs: number, schedulingDelayMs: number];

/** Spark's `createDefaultEstimator()` in PIDRateEstimatorSuite: 20 ms batches, Kp 1, Ki 0, Kd 0, minRate 10. */
const sparkSuiteDefault = (): PidRateEstimator => new PidRateEstimator({ batchIntervalMs: 20, proportional: 1, integral: 0, derivative: 0, minRate: 10 });

const run = (pid: PidRateEstimator, batches: readonly Batch[]): Array<number | undefined> => batches.map((b) => pid.compute(...b));

describe('PidRateEstimator', () => {
  describe('constructor', () => {
    it.each([
      ['batchIntervalMs', { batchIntervalMs: 0 }],
      ['proportional', { batchIntervalMs: 100, proportional: -1 }],
      ['integral', { batchIntervalMs: 100, integral: -1 }],
      ['derivative', { batchIntervalMs: 100, derivative: -1 }],
      ['minRate', { batchIntervalMs: 100, minRate: 0 }],
      ['minRate', { batchIntervalMs: 100, minRate: -10 }],
      ['proportional', { batchIntervalMs: 100, proportional: Number.NaN }],
    ])('rejects an out-of-range %s, naming the field, the range and the value', (field, options) => {
      // Act
      const create = (): PidRateEstimator => new PidRateEstimator(options);

      // Assess
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(new RegExp(`^pid\\.${field}: must be a number [≥>] 0 \\(given`));
    });

    it("uses Spark's defaults: Kp 1, Ki 0.2, Kd 0, minRate 100", () => {
      // Act
      const pid = new PidRateEstimator({ batchIntervalMs: 1000 });

      // Assess
      expect([pid.proportional, pid.integral, pid.derivative, pid.minRate]).toEqual([1, 0.2, 0, 100]);
    });
  });

  describe('compute', () => {
    it.each<[string, PidRateEstimator, readonly Batch[], ReadonlyArray<number | undefined>]>([
      // Spark's PIDRateEstimatorSuite (apache/spark): 1 s batches, default gains.
      [
        'returns 1000 then 900 when 500 ms of scheduling delay appears',
        new PidRateEstimator({ batchIntervalMs: 1000 }),
        [
          [1000, 1000, 500, 0],
          [2000, 1000, 1000, 0],
          [3000, 1000, 1000, 500],
        ],
        [undefined, 1000, 900],
      ],
      // PIDRateEstimatorSuite "first estimate is None" and "second estimate is not None".
      [
        'returns undefined first, then the processing rate (1000/s)',
        sparkSuiteDefault(),
        [
          [0, 10, 10, 0],
          [10, 10, 10, 0],
        ],
        [undefined, 1000],
      ],
      // "no estimate when no time difference between successive calls".
      [
        'returns undefined when the time does not move forward',
        sparkSuiteDefault(),
        [
          [0, 10, 10, 0],
          [10, 10, 10, 0],
          [10, 10, 10, 0],
        ],
        [undefined, 1000, undefined],
      ],
      // "no estimate when no records in previous batch".
      [
        'returns undefined for batches without records',
        sparkSuiteDefault(),
        [
          [0, 10, 10, 0],
          [10, 0, 10, 0],
          [20, -10, 10, 0],
        ],
        [undefined, undefined, undefined],
      ],
      // "no estimate when there is no processing delay".
      [
        'returns undefined for batches without processing delay',
        sparkSuiteDefault(),
        [
          [0, 10, 10, 0],
          [10, 10, 0, 0],
          [20, 10, -10, 0],
        ],
        [undefined, undefined, undefined],
      ],
      // Derived by hand: b2 = 2000 − 1000 − 0 − 0.5·1000 = 500; b3 = 500 − 0 − 0.2·100 − 0.5·(−1000) = 980.
      [
        'applies the derivative term (500, then 980)',
        new PidRateEstimator({ batchIntervalMs: 1000, derivative: 0.5 }),
        [
          [1000, 1000, 500, 0],
          [2000, 1000, 1000, 0],
          [3000, 500, 1000, 200],
        ],
        [undefined, 500, 980],
      ],
      // Derived by hand: a 6 s delay is a backlog of 6 intervals: 1000 − 0.2·6000 < 100, so minRate.
      [
        'returns minRate when the delay term exceeds the rate',
        new PidRateEstimator({ batchIntervalMs: 1000 }),
        [
          [1000, 1000, 1000, 0],
          [2000, 1000, 1000, 6000],
        ],
        [undefined, 100],
      ],
    ])('%s', (_name, pid, batches, expected) => {
      // Act
      const results = run(pid, batches);

      // Assess
      expect(results).toEqual(expected);
    });

    it('is never less than minRate (Spark: 49 batches of 1 record with 100 ms delay return 5)', () => {
      // Prepare
      const pid = new PidRateEstimator({ batchIntervalMs: 20, proportional: 1, integral: 1, derivative: 0, minRate: 5 });
      const batches = Array.from({ length: 50 }, (_, x): Batch => [x * 20, 1, 20, 100]);

      // Act
      const results = run(pid, batches);

      // Assess
      expect(results[0]).toBeUndefined();
      expect(results.slice(1)).toEqual(Array(49).fill(5));
    });

    it.each([
      ['increasing', (x: number) => (x + 1) * 20, (x: number) => (x + 1) * 1000],
      ['decreasing', (x: number) => (50 - x) * 20, (x: number) => (50 - x) * 1000],
    ])('follows the processing speed with no scheduling delay (%s load, Ki 1)', (_name, elements, expected) => {
      // Prepare
      const pid = new PidRateEstimator({ batchIntervalMs: 20, proportional: 1, integral: 1, derivative: 0, minRate: 10 });
      const batches = Array.from({ length: 50 }, (_, x): Batch => [x * 20, elements(x), 20, 0]);

      // Act
      const results = run(pid, batches);

      // Assess
      expect(results).toEqual([undefined, ...Array.from({ length: 49 }, (_, i) => expected(i + 1))]);
    });

    it('stays below the processing speed when a backlog accumulates (Spark suite, as a property)', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 0, max: 18 })), { minLength: 2, maxLength: 50 }), (rows) => {
          // Prepare
          const pid = new PidRateEstimator({ batchIntervalMs: 20, proportional: 1, integral: 0.01, derivative: 0, minRate: 10 });

          // Act
          const results = rows.map(([elements, sched], i) => pid.compute(i * 20, elements, 20, sched));

          // Assess
          rows.slice(1).forEach(([elements, sched], i) => {
            const rate = results[i + 1];
            expect(rate).toBeDefined();
            if (sched > 0) expect(rate!).toBeLessThan((elements / 20) * 1000);
          });
        }),
      );
    });

    it('never returns a rate below minRate, whatever the gains and inputs', () => {
      fc.assert(
        fc.property(
          fc.record({
            proportional: fc.double({ min: 0, max: 10, noNaN: true }),
            integral: fc.double({ min: 0, max: 10, noNaN: true }),
            derivative: fc.double({ min: 0, max: 10, noNaN: true }),
            minRate: fc.double({ min: 0.001, max: 1e4, noNaN: true }),
          }),
          fc.array(
            fc.tuple(
              fc.integer({ min: 1, max: 5000 }),
              fc.integer({ min: -10, max: 1e6 }),
              fc.integer({ min: -10, max: 1e5 }),
              fc.integer({ min: 0, max: 1e6 }),
            ),
            { maxLength: 60 },
          ),
          (gains, rows) => {
            // Prepare
            const pid = new PidRateEstimator({ batchIntervalMs: 1000, ...gains });
            let time = 0;

            // Act
            const results = rows.map(([step, n, proc, sched]) => pid.compute((time += step), n, proc, sched));

            // Assess
            for (const r of results) if (r !== undefined) expect(r).toBeGreaterThanOrEqual(gains.minRate);
          },
        ),
      );
    });

    it('leaves its state unchanged when it returns undefined', () => {
      // Prepare
      const pid = new PidRateEstimator({ batchIntervalMs: 1000 });
      pid.compute(1000, 1000, 500, 0);
      pid.compute(2000, 1000, 1000, 0);
      const before = pid.toJSON();

      // Act
      const results = [pid.compute(2000, 10, 10, 0), pid.compute(3000, 0, 10, 0), pid.compute(3000, 10, 0, 0)];

      // Assess
      expect(results).toEqual([undefined, undefined, undefined]);
      expect(pid.toJSON()).toEqual(before);
    });
  });

  describe('fromJSON', () => {
    it('continues exactly where the persisted estimator stopped', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 1e5 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 1e4 })),
            { maxLength: 40 },
          ),
          fc.nat(),
          (rows, cut) => {
            // Prepare
            const options = { batchIntervalMs: 1000, derivative: 0.1 };
            const straight = new PidRateEstimator(options);
            let restarted = new PidRateEstimator(options);
            const split = rows.length === 0 ? 0 : cut % rows.length;
            let time = 0;
            const expected: Array<number | undefined> = [];
            const actual: Array<number | undefined> = [];

            // Act
            rows.forEach(([step, n, proc, sched], i) => {
              time += step;
              if (i === split) restarted = PidRateEstimator.fromJSON(options, JSON.parse(JSON.stringify(restarted)));
              expected.push(straight.compute(time, n, proc, sched));
              actual.push(restarted.compute(time, n, proc, sched));
            });

            // Assess
            expect(actual).toEqual(expected);
          },
        ),
      );
    });

    it.each([
      ['null', null],
      ['a missing firstRun', { latestTimeMs: 1, latestRate: 1, latestError: 1 }],
      ['a non-finite rate', { firstRun: false, latestTimeMs: 1, latestRate: 'fast', latestError: 0 }],
    ])('rejects a stored state with %s', (_name, json) => {
      // Act
      const restore = (): PidRateEstimator => PidRateEstimator.fromJSON({ batchIntervalMs: 1000 }, json, 'ctl#shard-1');

      // Assess
      expect(restore).toThrow(CorruptDataError);
      expect(restore).toThrow(/^ctl#shard-1: /);
    });
  });
});
