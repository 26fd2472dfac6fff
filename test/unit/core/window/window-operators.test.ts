import { describe, expect, it } from 'vitest';
import { pipeline, type Stream } from '../../../../lib/core/pipeline/stream';
import { runTimed, sortedPairs, timed, type TimedBatch } from './run-timed';

/** `[startMs, endMs, value]` of every window a batch printed. */
function windowsOf(result: { outputs: Record<string, unknown[]> }): unknown[] {
  return (result.outputs['print-0'] ?? []).map((w) => {
    const { startMs, endMs, value } = w as { startMs: number; endMs: number; value: unknown };
    return [startMs, endMs, value];
  });
}

function lateOf(result: { outputs: Record<string, unknown[]> }): unknown[] {
  return (result.outputs['window-0-late'] ?? []).map((r) => (r as { value: unknown }).value);
}

describe('Stream', () => {
  describe('countByWindow', () => {
    it.each([
      // name, options, batches of arrival times, windows printed per batch, late records per batch
      [
        'emits a tumbling window once the watermark passes its end',
        { windowMs: 10 },
        timed([1, 2, 3], [12], [25]),
        [[], [[0, 10, 3]], [[10, 20, 1]]],
        [[], [], []],
      ],
      ['emits nothing before the watermark reaches a window end', { windowMs: 10 }, timed([1], [9], [9]), [[], [], []], [[], [], []]],
      [
        'emits every window a jump of the watermark closes, empty ones as 0',
        { windowMs: 10 },
        timed([1], [35]),
        [
          [],
          [
            [0, 10, 1],
            [10, 20, 0],
            [20, 30, 0],
          ],
        ],
        [[], []],
      ],
      [
        'counts out-of-order records within maxOutOfOrdernessMs',
        { windowMs: 10, maxOutOfOrdernessMs: 5 },
        timed([1, 12], [8], [30]),
        [
          [],
          [],
          [
            [0, 10, 2],
            [10, 20, 1],
          ],
        ],
        [[], [], []],
      ],
      ['sends a record whose window was emitted to the late output', { windowMs: 10 }, timed([1], [15], [3, 16]), [[], [[0, 10, 1]], []], [[], [], [3]]],
      [
        'waits allowedLatenessMs past the end before emitting, and counts records that came meanwhile',
        { windowMs: 10, allowedLatenessMs: 10 },
        timed([1], [15], [3], [31]),
        [
          [],
          [],
          [],
          [
            [0, 10, 2],
            [10, 20, 1],
          ],
        ],
        [[], [], [], []],
      ],
      [
        'slides: each record counts in windowMs / slideMs windows',
        { windowMs: 10, slideMs: 5 },
        timed([1, 7], [12], [30]),
        [
          [[-5, 5, 1]],
          [[0, 10, 2]],
          [
            [5, 15, 2],
            [10, 20, 1],
            [15, 25, 0],
            [20, 30, 0],
          ],
        ],
        [[], [], []],
      ],
      [
        'counts a record in its open windows when only its oldest one closed',
        { windowMs: 10, slideMs: 5 },
        timed([1], [12], [6], [20]),
        [
          [],
          [
            [-5, 5, 1],
            [0, 10, 1],
          ],
          [],
          [
            [5, 15, 2],
            [10, 20, 1],
          ],
        ],
        [[], [], [], []],
      ],
      [
        'emits only the non-empty windows when more than EMPTY_WINDOWS_LIMIT close at once',
        { windowMs: 1 },
        timed([0], [30_005], [30_010]),
        [
          [],
          [[0, 1, 1]],
          [
            [30_005, 30_006, 1],
            [30_006, 30_007, 0],
            [30_007, 30_008, 0],
            [30_008, 30_009, 0],
            [30_009, 30_010, 0],
          ],
        ],
        [[], [], []],
      ],
      ['closes nothing and loses nothing over an empty batch', { windowMs: 10 }, timed([1], [], [12]), [[], [], [[0, 10, 1]]], [[], [], []]],
      [
        'closes the windows arrival time has passed on an idle tick',
        { windowMs: 10 },
        [...timed([1, 2]), { records: [], idleAtMs: 12 }],
        [[], [[0, 10, 2]]],
        [[], []],
      ],
      [
        'waits maxOutOfOrdernessMs past the idle time too',
        { windowMs: 10, maxOutOfOrdernessMs: 5 },
        [...timed([1]), { records: [], idleAtMs: 12 }, { records: [], idleAtMs: 15 }],
        [[], [], [[0, 10, 1]]],
        [[], [], []],
      ],
      [
        'never moves the watermark back for an idle time before it',
        { windowMs: 10 },
        [...timed([1], [25]), { records: [], idleAtMs: 5 }, ...timed([8])],
        [
          [],
          [
            [0, 10, 1],
            [10, 20, 0],
          ],
          [],
          [],
        ],
        [[], [], [], [8]],
      ],
    ] as Array<
      [string, { windowMs: number; slideMs?: number; maxOutOfOrdernessMs?: number; allowedLatenessMs?: number }, TimedBatch[], unknown[][], unknown[][]]
    >)('%s', (_name, options, batches, windows, late) => {
      // Prepare
      const stream = pipeline<number>('t').countByWindow(options).print(1000) as Stream<unknown>;
      // Act
      const results = runTimed(stream, batches);
      // Assess
      expect(results.map(windowsOf)).toEqual(windows);
      expect(results.map(lateOf)).toEqual(late);
      expect(results.flatMap((r) => r.failures)).toEqual([]);
    });

    it('ignores idle ticks over an event time, which moves only with its records', () => {
      const stream = pipeline<number>('t')
        .countByWindow({ windowMs: 10, eventTime: (x) => x })
        .print(1000) as Stream<unknown>;
      const results = runTimed(stream, [...timed([1, 2]), { records: [], idleAtMs: 50 }, ...timed([12])]);
      expect(results.map(windowsOf)).toEqual([[], [], [[0, 10, 2]]]);
    });

    it('gives the same windows when the process restarts before every batch', () => {
      const stream = pipeline<number>('t').countByWindow({ windowMs: 10, slideMs: 5, maxOutOfOrdernessMs: 3 }).print(1000) as Stream<unknown>;
      const batches = timed([1, 4], [9, 2, 14], [3, 22], [7, 40], [55]);
      expect(runTimed(stream, batches, { cold: true })).toEqual(runTimed(stream, batches));
    });

    it('reports late records with their time and the watermark they missed', () => {
      const stream = pipeline<number>('t').countByWindow({ windowMs: 10, maxOutOfOrdernessMs: 2 }).print(1000) as Stream<unknown>;
      const [, , third] = runTimed(stream, timed([1], [17], [4]));
      expect(third!.outputs['window-0-late']).toEqual([{ value: 4, timeMs: 4, watermarkMs: 15 }]);
    });
  });

  describe('window', () => {
    it.each([
      ['collects the elements of a tumbling window', { windowMs: 10 }, timed([1, 2], [11], [20]), [[], [[0, 10, [1, 2]]], [[10, 20, [11]]]]],
      [
        'orders a window by slide, then by arrival',
        { windowMs: 10, maxOutOfOrdernessMs: 10 },
        timed([7, 2], [3, 9], [30]),
        [
          [],
          [],
          [
            [0, 10, [7, 2, 3, 9]],
            [10, 20, []],
          ],
        ],
      ],
      [
        'puts an element in every sliding window that holds it',
        { windowMs: 6, slideMs: 2 },
        timed([3], [9]),
        [
          [],
          [
            [-2, 4, [3]],
            [0, 6, [3]],
            [2, 8, [3]],
          ],
        ],
      ],
      [
        'emits empty windows as empty arrays',
        { windowMs: 5 },
        timed([1], [16]),
        [
          [],
          [
            [0, 5, [1]],
            [5, 10, []],
            [10, 15, []],
          ],
        ],
      ],
    ] as Array<[string, { windowMs: number; slideMs?: number; maxOutOfOrdernessMs?: number }, TimedBatch[], unknown[][]]>)(
      '%s',
      (_name, options, batches, windows) => {
        const stream = pipeline<number>('t').window(options).print(1000) as Stream<unknown>;
        expect(runTimed(stream, batches).map(windowsOf)).toEqual(windows);
      },
    );

    it('keeps the arrival order of a pane larger than one state chunk across restarts', () => {
      // Prepare: 1,200 elements in one slide, over two batches, with a restart before each batch.
      const first = Array.from({ length: 700 }, (_, i) => [i, 1] as const);
      const second = Array.from({ length: 500 }, (_, i) => [700 + i, 2] as const);
      const stream = pipeline<number>('t').window({ windowMs: 10 }).print(10) as Stream<unknown>;
      // Act
      const results = runTimed(stream, [{ records: first }, { records: second }, { records: [[-1, 10]] }], { cold: true });
      // Assess
      expect(windowsOf(results[2]!)).toEqual([[0, 10, Array.from({ length: 1_200 }, (_, i) => i)]]);
    });

    it('uses eventTime instead of the arrival time, given the arrival to fall back on', () => {
      // Prepare: all records arrive at 100; two carry their own time.
      const stream = pipeline<{ id: string; ts?: number }>('t')
        .window({ windowMs: 10, eventTime: (e, arrivalMs) => e.ts ?? arrivalMs })
        .map((w) => [w.startMs, w.value.map((e) => e.id)])
        .print(100) as Stream<unknown>;
      const batches: TimedBatch[] = [
        {
          records: [
            [{ id: 'a', ts: 3 }, 100],
            [{ id: 'b', ts: 14 }, 100],
          ],
        },
        { records: [[{ id: 'c' }, 100]] },
      ];
      // Act
      const results = runTimed(stream, batches);
      // Assess
      expect(results.map((r) => r.outputs['print-0'])).toEqual([
        [[0, ['a']]],
        [
          [10, ['b']],
          [20, []],
          [30, []],
          [40, []],
          [50, []],
          [60, []],
          [70, []],
          [80, []],
          [90, []],
        ],
      ]);
    });

    it('quarantines an element whose eventTime is not a finite number, and windows the rest', () => {
      const stream = pipeline<number>('t')
        .window({ windowMs: 10, eventTime: (x) => (x < 0 ? Number.NaN : x) })
        .print(100) as Stream<unknown>;
      const [first, second] = runTimed(stream, timed([1, -1, 2], [15]));
      expect(first!.failures).toEqual([{ operator: 'window #1', error: expect.stringContaining('eventTime must return a finite number') }]);
      expect(windowsOf(second!)).toEqual([[0, 10, [1, 2]]]);
    });

    it('hands late records to onLate with the batch info', () => {
      // Prepare
      const seen: unknown[] = [];
      const stream = pipeline<number>('t')
        .window({ windowMs: 10, name: 'w', onLate: (records, info) => void seen.push([info.batchNo, records.map((r) => r.value)]) })
        .print(10) as Stream<unknown>;
      // Act
      const results = runTimed(stream, timed([1], [12], [2, 5, 13]));
      // Assess: the engine hands the late output over like foreachBatch (the runtime calls it).
      expect(results.map((r) => (r.outputs['w-late'] ?? []).map((x) => (x as { value: number }).value))).toEqual([[], [], [2, 5]]);
    });
  });

  describe('reduceByKeyAndWindow', () => {
    const cases: Array<[string, { windowMs: number; slideMs?: number; maxOutOfOrdernessMs?: number }, TimedBatch[], unknown[][], unknown[][]]> = [
      [
        'reduces each key over a tumbling window',
        { windowMs: 10 },
        [
          {
            records: [
              [['a', 1], 1],
              [['b', 2], 2],
              [['a', 3], 3],
            ],
          },
          { records: [[['a', 5], 12]] },
        ],
        [
          [],
          [
            [
              0,
              10,
              [
                ['a', 4],
                ['b', 2],
              ],
            ],
          ],
        ],
        [[], []],
      ],
      [
        'slides: a key leaves a window when none of its values is in it',
        { windowMs: 10, slideMs: 5 },
        [
          {
            records: [
              [['a', 1], 1],
              [['b', 1], 6],
            ],
          },
          { records: [[['a', 1], 11]] },
          { records: [[['c', 1], 30]] },
        ],
        [
          [[-5, 5, [['a', 1]]]],
          [
            [
              0,
              10,
              [
                ['a', 1],
                ['b', 1],
              ],
            ],
          ],
          [
            [
              5,
              15,
              [
                ['a', 1],
                ['b', 1],
              ],
            ],
            [10, 20, [['a', 1]]],
            [15, 25, []],
            [20, 30, []],
          ],
        ],
        [[], [], []],
      ],
      [
        'files out-of-order and late values by their time',
        { windowMs: 10, maxOutOfOrdernessMs: 4 },
        [
          {
            records: [
              [['a', 1], 12],
              [['a', 10], 9],
            ],
          },
          {
            records: [
              [['a', 100], 2],
              [['b', 1], 25],
            ],
          },
          { records: [[['a', 1000], 5]] },
        ],
        [
          [],
          [
            [0, 10, [['a', 110]]],
            [10, 20, [['a', 1]]],
          ],
          [],
        ],
        [[], [], [['a', 1000]]],
      ],
    ];

    it.each(cases)('%s', (_name, options, batches, windows, late) => {
      for (const inverse of [undefined, (a: number, b: number) => a - b]) {
        const stream = pipeline<[string, number]>('t')
          .reduceByKeyAndWindow((a, b) => a + b, { ...options, inverse })
          .print(1000) as Stream<unknown>;
        const results = runTimed(stream, batches);
        expect(
          results.map((r) => windowsOf({ outputs: { 'print-0': sortedPairs(r.outputs['print-0']) ?? [] } })),
          `inverse: ${inverse !== undefined}`,
        ).toEqual(windows);
        expect(results.map(lateOf)).toEqual(late);
      }
    });

    it('quarantines a key whose reduce throws at the end of the batch, and keeps its previous panes', () => {
      // Prepare: values of 'x' reduce within a batch; merging 99 into the stored pane throws.
      const reduce = (a: number, b: number): number => {
        if (a + b > 50 && a + b < 200) throw new Error('too big');
        return a + b;
      };
      const stream = pipeline<[string, number]>('t').reduceByKeyAndWindow(reduce, { windowMs: 10 }).print(100) as Stream<unknown>;
      const batches: TimedBatch[] = [
        { records: [[['x', 1], 1]] },
        {
          records: [
            [['x', 99], 2],
            [['y', 1], 3],
          ],
        },
        { records: [[['z', 1], 15]] },
      ];
      // Act
      const results = runTimed(stream, batches);
      // Assess
      expect(results[1]!.failures).toEqual([{ operator: 'reduceByKeyAndWindow(window-0)', error: 'Error: too big' }]);
      expect(sortedPairs(results[2]!.outputs['print-0'])).toEqual([
        {
          startMs: 0,
          endMs: 10,
          value: [
            ['x', 1],
            ['y', 1],
          ],
        },
      ]);
    });

    it('rejects an element that is not a [key, value] pair, and reduces the rest', () => {
      const stream = pipeline<[string, number]>('t')
        .reduceByKeyAndWindow((a, b) => a + b, { windowMs: 10 })
        .print(100) as Stream<unknown>;
      const results = runTimed(stream, [
        {
          records: [
            [['a', 1], 1],
            ['oops', 2],
          ],
        },
        { records: [[['a', 1], 11]] },
      ]);
      expect(results[0]!.failures[0]!.error).toMatch(/reduceByKeyAndWindow expects \[key, value\] pairs, got "oops"/);
      expect(windowsOf(results[1]!)).toEqual([[0, 10, [['a', 1]]]]);
    });
  });

  describe('window options', () => {
    it.each([
      [{ windowMs: 0 }, /countByWindow.windowMs: must be a positive integer of milliseconds \(given 0\)/],
      [{ windowMs: 10, slideMs: 0 }, /countByWindow.slideMs: must be a positive integer of milliseconds \(given 0\)/],
      [{ windowMs: 10, maxOutOfOrdernessMs: -1 }, /countByWindow.maxOutOfOrdernessMs: must be an integer ≥ 0/],
      [{ windowMs: 10, allowedLatenessMs: 1.5 }, /countByWindow.allowedLatenessMs: must be an integer ≥ 0/],
      [{ windowMs: 10, name: 'no spaces' }, /countByWindow.name: must be 1-40 letters/],
    ])('rejects %j', (options, message) => {
      expect(() => pipeline('t').countByWindow(options)).toThrow(message);
    });

    it('rejects two stateful operators with one name', () => {
      const stream = pipeline<[string, number]>('t').updateStateByKey((vs: number[]) => vs.length, { name: 'x' });
      expect(() => stream.map((p) => p[1]).countByWindow({ windowMs: 10, name: 'x' })).toThrow(/countByWindow.name: "x" is used twice/);
    });
  });
});
