import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pipeline, type Stream } from '../../../../lib/core/pipeline/stream';
import type { KeyState } from '../../../../lib/core/window/key-state';
import { evaluateNaively, type ReferenceState } from '../../../helpers/reference-evaluator';
import { runTimed, type TimedBatch } from './run-timed';

const T0 = 1_700_000_000_000;

/** A running count per key that emits `[key, count]` for every value. */
function counting(key: string, _value: number | undefined, state: KeyState<number>): [string, number] | undefined {
  if (state.isTimingOut()) return [`${key} timed out`, state.get()];
  const n = (state.getOption() ?? 0) + 1;
  state.update(n);
  return [key, n];
}

function printed(results: ReturnType<typeof runTimed>): unknown[][] {
  return results.map((r) => r.outputs['print-0'] ?? []);
}

describe('Stream', () => {
  describe('mapWithState', () => {
    it.each([
      [
        'calls the function once per value and emits what it returns',
        {},
        [
          {
            records: [
              [['a', 1], 0],
              [['b', 1], 0],
              [['a', 1], 0],
            ],
            batchTimeMs: T0,
          },
          { records: [[['a', 1], 0]], batchTimeMs: T0 + 1_000 },
        ],
        [
          [
            ['a', 1],
            ['a', 2],
            ['b', 1],
          ],
          [['a', 3]],
        ],
      ],
      [
        'times a key out after idleTimeoutMs of batch time without values, with one last call',
        { idleTimeoutMs: 2_000 },
        [
          {
            records: [
              [['a', 1], 0],
              [['b', 1], 0],
            ],
            batchTimeMs: T0,
          },
          { records: [[['b', 1], 0]], batchTimeMs: T0 + 1_000 },
          { records: [[['b', 1], 0]], batchTimeMs: T0 + 2_000 },
          { records: [], batchTimeMs: T0 + 5_000 },
          { records: [[['a', 1], 0]], batchTimeMs: T0 + 6_000 },
        ],
        [
          [
            ['a', 1],
            ['b', 1],
          ],
          [['b', 2]],
          [
            ['b', 3],
            ['a timed out', 1],
          ],
          [['b timed out', 3]],
          [['a', 1]],
        ],
      ],
      [
        'times keys out in event time: the watermark minus the key’s latest time',
        { idleTimeoutMs: 30, eventTime: (p: readonly [string, number]) => p[1] },
        [
          {
            records: [
              [['a', 0], 0],
              [['b', 5], 0],
            ],
            batchTimeMs: T0,
          },
          { records: [[['b', 31], 0]], batchTimeMs: T0 + 60_000 },
          { records: [[['b', 40], 0]], batchTimeMs: T0 + 120_000 },
          { records: [[['c', 70], 0]], batchTimeMs: T0 + 180_000 },
        ],
        [
          [
            ['a', 1],
            ['b', 1],
          ],
          [
            ['b', 2],
            ['a timed out', 1],
          ],
          [['b', 3]],
          [
            ['c', 1],
            ['b timed out', 3],
          ],
        ],
      ],
    ] as Array<[string, object, TimedBatch[], unknown[][]]>)('%s', (_name, spec, batches, expected) => {
      // Prepare
      const stream = pipeline<[string, number]>('t').mapWithState(counting, spec).print(100) as Stream<unknown>;
      // Act
      const results = runTimed(stream, batches);
      // Assess
      expect(printed(results)).toEqual(expected);
      expect(results.flatMap((r) => r.failures)).toEqual([]);
    });

    it('applies a key’s values in event-time order within a batch', () => {
      const stream = pipeline<[string, string]>('t')
        .mapWithState<string, string, string, string>(
          (_k, v, state) => {
            state.update(`${state.getOption() ?? ''}${v}`);
            return state.get();
          },
          { eventTime: (_p, arrivalMs) => arrivalMs },
        )
        .print(100) as Stream<unknown>;
      const [batch] = runTimed(stream, [
        {
          records: [
            [['u', 'c'], 30],
            [['u', 'a'], 10],
            [['u', 'b'], 20],
          ],
        },
      ]);
      expect(batch!.outputs['print-0']).toEqual(['a', 'ab', 'abc']);
    });

    it('removes a key whose function calls remove()', () => {
      const stream = pipeline<[string, number]>('t')
        .mapWithState<string, number, number, [string, number | undefined]>((k, v, state) => {
          if (v === 0) state.remove();
          else state.update((state.getOption() ?? 0) + v!);
          return [k, state.getOption()];
        })
        .print(100) as Stream<unknown>;
      const out = printed(runTimed(stream, [{ records: [[['a', 5], 0]] }, { records: [[['a', 0], 0]] }, { records: [[['a', 2], 0]] }]));
      expect(out).toEqual([[['a', 5]], [['a', undefined]], [['a', 2]]]);
    });

    it('keeps the previous state of a key whose function throws, and emits nothing for it', () => {
      const stream = pipeline<[string, number]>('t')
        .mapWithState<string, number, number, [string, number]>((k, v, state) => {
          state.update((state.getOption() ?? 0) + v!);
          if (v! < 0) throw new Error('negative');
          return [k, state.get()];
        })
        .print(100) as Stream<unknown>;
      const results = runTimed(stream, [
        { records: [[['a', 1], 0]] },
        {
          records: [
            [['a', 5], 0],
            [['a', -1], 0],
            [['b', 1], 0],
          ],
        },
        { records: [[['a', 1], 0]] },
      ]);
      expect(printed(results)).toEqual([[['a', 1]], [['b', 1]], [['a', 2]]]);
      expect(results[1]!.failures).toEqual([{ operator: 'mapWithState(mapWithState-0)', error: 'Error: negative' }]);
    });

    it('fails a call that updates a key while it times out, and removes the key all the same', () => {
      const stream = pipeline<[string, number]>('t')
        .mapWithState<string, number, number, string>(
          (k, v, state) => {
            state.update(v ?? 0);
            return k;
          },
          { idleTimeoutMs: 1_000 },
        )
        .print(100) as Stream<unknown>;
      const results = runTimed(stream, [
        { records: [[['a', 1], 0]], batchTimeMs: T0 },
        { records: [], batchTimeMs: T0 + 1_000 },
        { records: [], batchTimeMs: T0 + 2_000 },
      ]);
      expect(results[1]!.failures).toEqual([
        { operator: 'mapWithState(mapWithState-0)', error: expect.stringContaining('cannot update the state of a key that is timing out') },
      ]);
      expect(results[2]!.failures).toEqual([]);
    });

    it('gives the same outputs when the process restarts before every batch', () => {
      const stream = pipeline<[string, number]>('t')
        .mapWithState(counting, { idleTimeoutMs: 25, eventTime: (p) => p[1], maxOutOfOrdernessMs: 5 })
        .print(100) as Stream<unknown>;
      const batches: TimedBatch[] = [
        {
          records: [
            [['a', 1], 0],
            [['b', 3], 0],
          ],
        },
        { records: [[['a', 20], 0]] },
        {
          records: [
            [['c', 60], 0],
            [['b', 2], 0],
          ],
        },
        { records: [[['a', 100], 0]] },
      ];
      expect(runTimed(stream, batches, { cold: true })).toEqual(runTimed(stream, batches));
    });

    it('rejects an idleTimeoutMs that is not a positive integer', () => {
      expect(() => pipeline<[string, number]>('t').mapWithState(counting, { idleTimeoutMs: 0 })).toThrow(
        /mapWithState.idleTimeoutMs: must be a positive integer of milliseconds \(given 0\)/,
      );
    });

    it('behaves as calling the function value by value, then on every idle key', () => {
      const batches = fc.array(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.integer({ min: 0, max: 9 }), fc.integer({ min: -20, max: 20 })), { maxLength: 10 }),
        { minLength: 1, maxLength: 8 },
      );
      fc.assert(
        fc.property(batches, fc.boolean(), fc.constantFrom(15, 40), (raw, eventTime, idleTimeoutMs) => {
          // Prepare: values ≥ 7 remove the key; multiples of 3 emit; timeouts emit the state; all show the time.
          const fn = (k: string, v: number | undefined, state: KeyState<number[]>): unknown => {
            if (state.isTimingOut()) return ['timeout', k, state.get(), state.timestampMs()];
            if (v! >= 7) state.remove();
            else state.update([...(state.getOption() ?? []), v!]);
            return v! % 3 === 0 ? [k, v, state.getOption(), state.timestampMs()] : undefined;
          };
          const spec = eventTime
            ? { idleTimeoutMs, eventTime: (_p: readonly [string, number], arrivalMs: number) => arrivalMs, maxOutOfOrdernessMs: 5 }
            : { idleTimeoutMs: idleTimeoutMs * 100 };
          const stream = pipeline<[string, number]>('p').mapWithState(fn, spec).print(1000) as Stream<unknown>;
          const timed: TimedBatch[] = raw.map((records, i) => ({
            records: records.map(([k, v, jitter]) => [[k, v], Math.max(0, i * 10 + jitter)] as const),
            batchTimeMs: i * 1_000,
          }));
          const reference: ReferenceState = new Map();
          // Act
          const fused = runTimed(stream, timed).map((r) => r.outputs['print-0']);
          const naive = timed.map(
            (b, i) =>
              evaluateNaively(
                stream,
                b.records.map(([x]) => x),
                reference,
                i * 1_000,
                b.records.map(([, t]) => t),
              ).outputs[0]!.items,
          );
          // Assess
          expect(fused).toEqual(naive);
        }),
        { numRuns: 300 },
      );
    });
  });
});
