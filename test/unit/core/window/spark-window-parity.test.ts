import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { compilePipeline, unnamedStateWarning } from '../../../../lib/core/engine/compile-pipeline';
import { pipeline, type Stream } from '../../../../lib/core/pipeline/stream';
import type { Windowed } from '../../../../lib/core/window/windowed';
import { runTimed, timed, type TimedBatch } from './run-timed';

/** Every window printed by every batch, in order, as `[startMs, endMs, value]`. */
function allWindows(stream: Stream<unknown>, batches: readonly TimedBatch[]): unknown[] {
  return runTimed(stream, batches)
    .flatMap((r) => r.outputs['print-0'] ?? [])
    .map((w) => {
      const { startMs, endMs, value } = w as Windowed<unknown>;
      // Keys come in state order: sort the pairs of a per-key window.
      const sorted = Array.isArray(value) && value.every(Array.isArray) ? [...value].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : value;
      return [startMs, endMs, sorted];
    });
}

/**
 * Spark's windows, computed from their definition: a window ends at every multiple of `slideMs` and
 * holds the elements whose time `t` has `end - windowMs <= t < end`.
 */
function sparkWindows(times: readonly number[], windowMs: number, slideMs: number, lastEndMs: number): Array<[number, number, number[]]> {
  const out: Array<[number, number, number[]]> = [];
  const first = Math.min(...times.map((t) => Math.floor(t / slideMs) * slideMs + slideMs).filter((e, i) => e - windowMs <= times[i]!));
  for (let end = first; end <= lastEndMs; end += slideMs) out.push([end - windowMs, end, times.filter((t) => t >= end - windowMs && t < end)]);
  return out;
}

describe('window operators with Spark semantics', () => {
  describe('a slide longer than the window (sampling windows)', () => {
    it('counts a 2 ms window every 3 ms, and counts the elements between two windows in none', () => {
      // Prepare: one element per ms from 0 to 7; windows [1,3), [4,6), [7,9); 0, 3 and 6 fall between windows.
      const stream = pipeline<number>('t').countByWindow({ windowMs: 2, slideMs: 3 }).print(1000) as Stream<unknown>;
      // Act
      const windows = allWindows(stream, timed([0, 1, 2, 3, 4, 5, 6, 7], [20]));
      // Assess
      expect(windows).toEqual([
        [1, 3, 2],
        [4, 6, 2],
        [7, 9, 1],
        [10, 12, 0],
        [13, 15, 0],
        [16, 18, 0],
      ]);
    });

    it('gives each window exactly the elements Spark would, whatever the geometry (property)', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 12 }),
          fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 30 }),
          (windowMs, slideMs, raw) => {
            const times = [...raw].sort((a, b) => a - b);
            const stream = pipeline<number>('t').window({ windowMs, slideMs }).print(10_000) as Stream<unknown>;
            // One batch per element in time order, then one far past the last window, to close them all.
            const closing = 1_000;
            const windows = allWindows(stream, [...timed(...times.map((t) => [t])), ...timed([closing])]) as Array<[number, number, number[]]>;
            const lastEnd = Math.floor(closing / slideMs) * slideMs;
            const inAny = times.filter((t) => Math.floor(t / slideMs) * slideMs + slideMs - windowMs <= t);
            const expected = inAny.length === 0 ? [] : sparkWindows(inAny, windowMs, slideMs, lastEnd);
            // Past the limit of empty windows only non-empty ones are emitted: compare those.
            const nonEmpty = (ws: Array<[number, number, number[]]>) =>
              ws.filter((w) => w[2].length > 0 && w[1] <= times[times.length - 1]! + windowMs + slideMs);
            expect(nonEmpty(windows.map(([s, e, v]) => [s, e, [...v].sort((a, b) => a - b)]))).toEqual(nonEmpty(expected));
          },
        ),
        { numRuns: 150 },
      );
    });

    it('reduces sampling windows per key the same with and without an inverse', () => {
      // Windows [3,5), [8,10), [13,15), ...: 1, 2, 5, 7 and 40 fall between them.
      const batches: TimedBatch[] = [[1, 2, 4], [5, 7], [8, 13], [40]].map((ts) => ({
        records: ts.map((t) => [[t % 2 === 0 ? 'even' : 'odd', t], t] as const),
      }));
      const sum = (a: number, b: number) => a + b;
      const plain = pipeline<[string, number]>('t').reduceByKeyAndWindow(sum, { windowMs: 2, slideMs: 5 }).print(1000) as Stream<unknown>;
      const inverse = pipeline<[string, number]>('t')
        .reduceByKeyAndWindow(sum, { windowMs: 2, slideMs: 5, inverse: (a, b) => a - b })
        .print(1000) as Stream<unknown>;
      const expected = [
        [3, 5, [['even', 4]]],
        [8, 10, [['even', 8]]],
        [13, 15, [['odd', 13]]],
        [18, 20, []],
        [23, 25, []],
        [28, 30, []],
        [33, 35, []],
        [38, 40, []],
      ];
      expect(allWindows(plain, batches)).toEqual(expected);
      expect(allWindows(inverse, batches)).toEqual(expected);
    });
  });

  describe('countByValueAndWindow', () => {
    it('counts each element per sliding window and leaves out those the window does not hold, as Spark does', () => {
      // Prepare: a@1, b@2, a@7 | a@12 | x@30 under 10 ms windows every 5 ms.
      const stream = pipeline<string>('t').countByValueAndWindow({ windowMs: 10, slideMs: 5 }).print(1000) as Stream<unknown>;
      const batches: TimedBatch[] = [
        {
          records: [
            ['a', 1],
            ['b', 2],
            ['a', 7],
          ],
        },
        { records: [['a', 12]] },
        { records: [['x', 30]] },
      ];
      // Act
      const windows = allWindows(stream, batches);
      // Assess: Spark's map((x, 1)).reduceByKeyAndWindow(_ + _, _ - _, ...) filtered on count != 0.
      expect(windows).toEqual([
        [
          -5,
          5,
          [
            ['a', 1],
            ['b', 1],
          ],
        ],
        [
          0,
          10,
          [
            ['a', 2],
            ['b', 1],
          ],
        ],
        [5, 15, [['a', 2]]],
        [10, 20, [['a', 1]]],
        [15, 25, []],
        [20, 30, []],
      ]);
    });

    it('gives eventTime the elements, not the pairs it counts', () => {
      const stream = pipeline<{ w: string; t: number }>('t')
        .map((e) => e.w + String(e.t))
        .countByValueAndWindow({ windowMs: 10, eventTime: (e) => Number(e.slice(1)) })
        .print(1000) as Stream<unknown>;
      const batches: TimedBatch[] = [{ records: [[{ w: 'a', t: 3 }, 0]] }, { records: [[{ w: 'b', t: 15 }, 0]] }];
      expect(allWindows(stream, batches)).toEqual([[0, 10, [['a3', 1]]]]);
    });

    it('names its options under its own name', () => {
      expect(() => pipeline('t').countByValueAndWindow({ windowMs: 0 })).toThrow(/^countByValueAndWindow\.windowMs: /);
    });
  });

  describe('reduceByWindow', () => {
    it('reduces all the elements of each window to one, and emits nothing for an empty window, as Spark does', () => {
      // Prepare: 3@1, 9@4 | 5@12 | 1@40 under 10 ms windows every 5 ms.
      const stream = pipeline<number>('t')
        .reduceByWindow((a, b) => Math.max(a, b), { windowMs: 10, slideMs: 5 })
        .print(1000) as Stream<unknown>;
      const batches: TimedBatch[] = [
        {
          records: [
            [3, 1],
            [9, 4],
          ],
        },
        { records: [[5, 12]] },
        { records: [[1, 40]] },
      ];
      // Act
      const windows = allWindows(stream, batches);
      // Assess
      expect(windows).toEqual([
        [-5, 5, 9],
        [0, 10, 9],
        [5, 15, 5],
        [10, 20, 5],
      ]);
    });

    it('gives the same windows with an inverse as without', () => {
      const batches: TimedBatch[] = [
        {
          records: [
            [3, 1],
            [9, 4],
          ],
        },
        {
          records: [
            [5, 12],
            [2, 13],
          ],
        },
        { records: [[1, 40]] },
      ];
      const sum = (a: number, b: number) => a + b;
      const plain = pipeline<number>('t').reduceByWindow(sum, { windowMs: 10, slideMs: 5 }).print(1000) as Stream<unknown>;
      const inverse = pipeline<number>('t')
        .reduceByWindow(sum, { windowMs: 10, slideMs: 5, inverse: (a, b) => a - b })
        .print(1000) as Stream<unknown>;
      expect(allWindows(plain, batches)).toEqual([
        [-5, 5, 12],
        [0, 10, 12],
        [5, 15, 7],
        [10, 20, 7],
      ]);
      expect(allWindows(inverse, batches)).toEqual(allWindows(plain, batches));
    });
  });

  describe('types', () => {
    it('infers a [key, value] pair from map without a cast', () => {
      const pairs = pipeline('t').map((w) => [w, 1]);
      expectTypeOf(pairs).toEqualTypeOf<Stream<[string, number]>>();
      expectTypeOf(pairs.reduceByKey((a, b) => a + b)).toEqualTypeOf<Stream<[string, number]>>();
      expectTypeOf(pipeline('t').map((w) => w.split(' '))).toEqualTypeOf<Stream<string[]>>();
      expectTypeOf(pipeline('t').map((w) => ({ w }))).toEqualTypeOf<Stream<{ w: string }>>();
    });
  });
});

describe('unnamedStateWarning', () => {
  it('names every stateful operator that goes by its position, and only those', () => {
    const stream = pipeline('wc')
      .map((w) => [w, 1])
      .updateStateByKey<string, number, number>((vs, s = 0) => s + vs.length)
      .countByWindow({ windowMs: 1000, name: 'per-second' })
      .map((w) => [String(w.endMs), w.value])
      .mapWithState<string, number, number, number>((_k, v) => v);
    const warning = unnamedStateWarning(compilePipeline(stream as Stream<unknown>));
    expect(warning).toMatch(/^pipeline wc: updateStateByKey\(state-0\), mapWithState\(mapWithState-0\) have no name/);
    expect(warning).not.toMatch(/per-second/);
  });

  it('says nothing when every stateful operator has a name', () => {
    const stream = pipeline('wc')
      .map((w) => [w, 1])
      .updateStateByKey<string, number, number>((vs, s = 0) => s + vs.length, { name: 'totals' });
    expect(unnamedStateWarning(compilePipeline(stream as Stream<unknown>))).toBeUndefined();
  });
});
