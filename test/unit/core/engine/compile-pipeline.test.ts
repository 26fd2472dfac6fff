import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../../lib/core/engine/compile-pipeline';
import { pipeline, type Stream } from '../../../../lib/core/pipeline/stream';
import { evaluateNaively, type ReferenceState } from '../../../helpers/reference-evaluator';

const T0 = 1_700_000_000_000;

function printed(stream: Stream<unknown>, batches: unknown[][], times = batches.map((_, i) => T0 + i * 1000)) {
  const compiled = compilePipeline(stream);
  const states = compiled.createStates();
  return batches.map((elements, i) => {
    const result = compiled.run(elements, states, times[i]!);
    // As after a commit: the batch's changes are settled.
    for (const s of states.values()) s.settle();
    return { outputs: result.outputs.map((o) => ({ id: o.op.id, items: o.items })), failures: result.failures };
  });
}

/** State outputs come in state order; compare their content. */
function asObject(items: unknown[]): Record<string, unknown> {
  return Object.fromEntries(items as Array<[string, unknown]>);
}

describe('compilePipeline', () => {
  describe('run', () => {
    it.each([
      [
        'map',
        pipeline<number>('t')
          .map((x) => x * 2)
          .print(),
        [1, 2, 3],
        [2, 4, 6],
      ],
      [
        'filter',
        pipeline<number>('t')
          .filter((x) => x > 1)
          .print(),
        [1, 2, 3],
        [2, 3],
      ],
      [
        'flatMap over arrays',
        pipeline<number>('t')
          .flatMap((x) => [x, x])
          .print(),
        [1, 2],
        [1, 1, 2, 2],
      ],
      [
        'flatMap over other iterables',
        pipeline<number>('t')
          .flatMap((x) => new Set([x, -x]))
          .print(),
        [1, 2],
        [1, -1, 2, -2],
      ],
      [
        'mapValues',
        pipeline<[string, number]>('t')
          .mapValues((v) => v + 1)
          .print(),
        [['a', 1]],
        [['a', 2]],
      ],
      [
        'countByValue',
        pipeline<string>('t').countByValue().print(),
        ['a', 'b', 'a'],
        [
          ['a', 2],
          ['b', 1],
        ],
      ],
      [
        'countByValue with non-string values',
        pipeline<unknown>('t').countByValue().print(),
        [1, '1', [1], 1],
        [
          [1, 2],
          ['1', 1],
          [[1], 1],
        ],
      ],
      [
        'reduceByKey',
        pipeline<[string, number]>('t')
          .reduceByKey((a, b) => a + b)
          .print(),
        [
          ['a', 1],
          ['b', 2],
          ['a', 3],
        ],
        [
          ['a', 4],
          ['b', 2],
        ],
      ],
      [
        'transform',
        pipeline<number>('t')
          .transform((xs) => [...xs].reverse())
          .print(),
        [1, 2, 3],
        [3, 2, 1],
      ],
    ] as Array<[string, Stream<unknown>, unknown[], unknown[]]>)('applies %s', (_name, stream, input, expected) => {
      // Prepare / Act
      const [batch] = printed(stream, [input]);
      // Assess
      expect(batch!.outputs[0]!.items).toEqual(expected);
      expect(batch!.failures).toEqual([]);
    });

    it('keeps running totals across batches with updateStateByKey', () => {
      const stream = pipeline<string>('t')
        .countByValue()
        .updateStateByKey<string, number, number>((counts, total = 0) => counts.reduce((a, b) => a + b, total))
        .print(100);
      const [b1, b2] = printed(stream, [
        ['x', 'y', 'x'],
        ['x', 'z'],
      ]);
      expect(asObject(b1!.outputs[0]!.items)).toEqual({ x: 2, y: 1 });
      expect(asObject(b2!.outputs[0]!.items)).toEqual({ x: 3, y: 1, z: 1 });
    });

    it('removes a key when update returns undefined', () => {
      const stream = pipeline<[string, number]>('t')
        .updateStateByKey<string, number, number>((vs, s = 0) => (vs.includes(0) ? undefined : s + vs.length))
        .print(100);
      const [, b2] = printed(stream, [
        [
          ['a', 1],
          ['b', 1],
        ],
        [['a', 0]],
      ]);
      expect(b2!.outputs[0]!.items).toEqual([['b', 1]]);
    });

    it('expires keys idle for idleTimeoutMs of batch time', () => {
      const stream = pipeline<[string, number]>('t')
        .updateStateByKey<string, number, number>((vs, s = 0) => s + vs.length, { idleTimeoutMs: 2_000 })
        .print(100);
      const out = printed(
        stream,
        [
          [
            ['a', 1],
            ['b', 1],
          ],
          [['b', 1]],
          [['b', 1]],
        ],
        [T0, T0 + 1_000, T0 + 2_000],
      );
      expect(asObject(out[1]!.outputs[0]!.items)).toEqual({ a: 1, b: 2 });
      expect(out[2]!.outputs[0]!.items).toEqual([['b', 3]]);
    });

    it('quarantines an element a user function throws on, without applying any part of it', () => {
      // Prepare: element 2 emits one word to the count, then throws on its second word.
      const stream = pipeline<string>('t')
        .flatMap((line) => line.split(' '))
        .map((w) => {
          if (w === 'boom') throw new Error('bad word');
          return w;
        })
        .countByValue()
        .print(100);
      // Act
      const [batch] = printed(stream, [['a b', 'a boom', 'b']]);
      // Assess: 'a' of the failed line is not counted.
      expect(batch!.outputs[0]!.items).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
      expect(batch!.failures).toHaveLength(1);
      expect(batch!.failures[0]).toMatchObject({ stage: 0, index: 1 });
      expect(String(batch!.failures[0]!.error)).toContain('bad word');
    });

    it('fails an element that is not a [key, value] pair at a keyed operator', () => {
      const stream = pipeline<[string, number]>('t')
        .reduceByKey((a, b) => a + b)
        .print() as Stream<unknown>;
      const [batch] = printed(stream, [[['a', 1], 'oops', ['a', 2]]]);
      expect(batch!.outputs[0]!.items).toEqual([['a', 3]]);
      expect(String(batch!.failures[0]!.error)).toMatch(/reduceByKey expects \[key, value\] pairs, got "oops"/);
    });

    it('keeps the previous state of a key whose update throws', () => {
      const stream = pipeline<[string, number]>('t')
        .updateStateByKey<string, number, number>((vs, s = 0) => {
          if (vs.includes(-1)) throw new Error('negative');
          return s + vs.length;
        })
        .print(100);
      const [, b2] = printed(stream, [
        [['a', 1]],
        [
          ['a', -1],
          ['b', 1],
        ],
      ]);
      expect(asObject(b2!.outputs[0]!.items)).toEqual({ a: 1, b: 1 });
      expect(b2!.failures[0]).toMatchObject({ stage: 1, operator: 'updateStateByKey(state-0)' });
    });

    it('quarantines the values of a key whose update throws when an aggregate hands them over, naming the decoded key', () => {
      // Prepare: countByValue feeds updateStateByKey directly (the hand-off path), with non-string keys.
      const stream = pipeline<number>('t')
        .countByValue()
        .updateStateByKey<number, number, number>((counts, s = 0) => {
          if (s + counts[0]! > 2) throw new Error('too many');
          return s + counts[0]!;
        })
        .print(100);
      // Act
      const [, b2] = printed(stream, [
        [7, 8, 7],
        [7, 8],
      ]);
      // Assess
      // State comes out in state order.
      expect(b2!.outputs[0]!.items).toHaveLength(2);
      expect(b2!.outputs[0]!.items).toEqual(
        expect.arrayContaining([
          [7, 2],
          [8, 2],
        ]),
      );
      expect(b2!.failures).toHaveLength(1);
      expect(b2!.failures[0]).toMatchObject({ stage: 2, operator: 'updateStateByKey(state-0)', element: [7, [1]] });
    });
  });

  describe('fusion', () => {
    const elementOps = fc.constantFrom(
      (s: Stream<number>) => s.map((x) => x * 3 + 1),
      (s: Stream<number>) => s.map((x) => x % 7),
      (s: Stream<number>) => s.filter((x) => x % 2 === 0),
      (s: Stream<number>) => s.flatMap((x) => [x, x + 1]),
      (s: Stream<number>) => s.flatMap((x) => (x % 3 === 0 ? [] : [x])),
      (s: Stream<number>) => s.print(5),
    );
    const keyed = fc.constantFrom(
      (s: Stream<number>) => s.countByValue().print(1000),
      (s: Stream<number>) =>
        s
          .map((x) => [x % 5, x] as [number, number])
          .reduceByKey((a, b) => a + b)
          .print(1000),
      (s: Stream<number>) =>
        s
          .map((x) => [`k${x % 4}`, x] as [string, number])
          .updateStateByKey<string, number, number>((vs, st = 0) => st + vs.reduce((a, b) => a + b, 0))
          .mapValues((v) => v * 2)
          .print(1000),
      (s: Stream<number>) => s.print(1000),
      // An aggregate straight into updateStateByKey: the engine hands the per-key result over without pairs.
      (s: Stream<number>) =>
        s
          .countByValue()
          .updateStateByKey<number, number, number>((vs, st = 0) => st + vs.reduce((a, b) => a + b, 0))
          .print(1000),
      (s: Stream<number>) =>
        s
          .map((x) => [x % 6, x] as [number, number])
          .reduceByKey((a, b) => a * 2 + b)
          .updateStateByKey<number, number, number>((vs, st = 1) => (vs[0] === 0 ? undefined : st + vs.length * vs[0]!))
          .print(1000),
    );

    it('gives the same outputs as running each stage naively, over several batches', () => {
      fc.assert(
        fc.property(
          fc.array(elementOps, { maxLength: 6 }),
          keyed,
          fc.array(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 40 }), { minLength: 1, maxLength: 4 }),
          (ops, tail, batches) => {
            let stream = pipeline<number>('prop');
            for (const op of ops) stream = op(stream);
            const full = tail(stream) as Stream<unknown>;
            const compiled = compilePipeline(full);
            const states = compiled.createStates();
            const reference: ReferenceState = new Map();
            batches.forEach((batch, i) => {
              const fused = compiled.run(batch, states, T0 + i * 1000).outputs.map((o) => ({ id: o.op.id, items: o.items }));
              for (const s of states.values()) s.settle();
              const naive = evaluateNaively(full, batch, reference, T0 + i * 1000).outputs;
              expect(fused).toEqual(naive);
            });
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
