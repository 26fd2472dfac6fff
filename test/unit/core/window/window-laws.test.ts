import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../../../../lib/core/engine/compile-pipeline';
import { pipeline, type Stream } from '../../../../lib/core/pipeline/stream';
import { META_KEY } from '../../../../lib/core/window/operator-meta';
import { evaluateNaively, type ReferenceState } from '../../../helpers/reference-evaluator';
import { runTimed, sortedPairs, type TimedBatch } from './run-timed';

/** Window geometry and tolerances, drawn small so windows close and records come late often. */
const geometry = fc.record({
  slideMs: fc.constantFrom(1, 2, 5, 10),
  panes: fc.integer({ min: 1, max: 5 }),
  maxOutOfOrdernessMs: fc.constantFrom(0, 3, 10),
  allowedLatenessMs: fc.constantFrom(0, 5),
});

/** Batches of `[key, value]` pairs whose times drift forward with jitter: in order, out of order and late. */
const keyedBatches = fc
  .array(
    fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), value: fc.integer({ min: -5, max: 20 }), jitter: fc.integer({ min: -30, max: 30 }) }), {
      maxLength: 12,
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((batches): TimedBatch[] => batches.map((records, i) => ({ records: records.map((r) => [[r.key, r.value], Math.max(0, i * 15 + r.jitter)] as const) })));

function options(g: { slideMs: number; panes: number; maxOutOfOrdernessMs: number; allowedLatenessMs: number }) {
  return { windowMs: g.slideMs * g.panes, slideMs: g.slideMs, maxOutOfOrdernessMs: g.maxOutOfOrdernessMs, allowedLatenessMs: g.allowedLatenessMs };
}

function normalized(results: ReturnType<typeof runTimed>) {
  return results.map((r) => ({ windows: sortedPairs(r.outputs['print-0']), late: r.outputs['window-0-late'] ?? [] }));
}

describe('Stream', () => {
  describe('tickDueAtMs', () => {
    it('reads from the clock’s open panes what a scan of the whole state finds', () => {
      fc.assert(
        fc.property(geometry, keyedBatches, fc.boolean(), (g, batches, inverse) => {
          const stream = pipeline<[string, number]>('p')
            .reduceByKeyAndWindow((a, b) => a + b, { ...options(g), ...(inverse ? { inverse: (a: number, b: number) => a - b } : {}) })
            .print(1e6) as Stream<unknown>;
          const compiled = compilePipeline(stream);
          const states = compiled.createStates();
          batches.forEach((batch, i) => {
            compiled.run(
              batch.records.map(([x]) => x),
              states,
              i * 1_000,
              batch.records.map(([, t]) => t),
            );
            for (const s of states.values()) s.settle();
            // The same state with a clock from before open panes were kept: tickDueAtMs scans the panes.
            const scanned = new Map([...states].map(([id, s]) => [id, s.clone()]));
            for (const state of scanned.values()) {
              const clock = state.get(META_KEY);
              if (clock !== undefined) state.set(META_KEY, { ...clock, value: { ...(clock.value as object), openPanes: undefined } });
            }
            expect(compiled.tickDueAtMs(states)).toBe(compiled.tickDueAtMs(scanned));
          });
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('reduceByKeyAndWindow', () => {
    it('gives the same windows with an inverse function as recomputing every window', () => {
      fc.assert(
        fc.property(geometry, keyedBatches, (g, batches) => {
          const plain = pipeline<[string, number]>('p')
            .reduceByKeyAndWindow((a, b) => a + b, options(g))
            .print(1e6) as Stream<unknown>;
          const sliding = pipeline<[string, number]>('p')
            .reduceByKeyAndWindow((a, b) => a + b, { ...options(g), inverse: (a, b) => a - b })
            .print(1e6) as Stream<unknown>;
          expect(normalized(runTimed(sliding, batches))).toEqual(normalized(runTimed(plain, batches)));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe.each([
    ['window', (s: Stream<[string, number]>, o: ReturnType<typeof options>) => s.window(o)],
    ['countByWindow', (s: Stream<[string, number]>, o: ReturnType<typeof options>) => s.countByWindow(o)],
    ['reduceByKeyAndWindow', (s: Stream<[string, number]>, o: ReturnType<typeof options>) => s.reduceByKeyAndWindow((a, b) => a + b, o)],
    [
      'reduceByKeyAndWindow with inverse',
      (s: Stream<[string, number]>, o: ReturnType<typeof options>) => s.reduceByKeyAndWindow((a, b) => a + b, { ...o, inverse: (a, b) => a - b }),
    ],
  ])('%s', (name, build) => {
    it('gives the windows of recomputing each one from every record it accepted', () => {
      fc.assert(
        fc.property(geometry, keyedBatches, (g, batches) => {
          const stream = (build(pipeline<[string, number]>('p'), options(g)) as Stream<unknown>).print(1e6) as Stream<unknown>;
          const reference: ReferenceState = new Map();
          const naive = batches.map((b, i) => {
            const out = evaluateNaively(
              stream,
              b.records.map(([x]) => x),
              reference,
              i * 1_000,
              b.records.map(([, t]) => t),
            ).outputs;
            return Object.fromEntries(out.map((o) => [o.id, o.items]));
          });
          const fused = runTimed(stream, batches).map((r) => r.outputs);
          const norm = (outs: Array<Record<string, unknown[]>>) =>
            outs.map((o) => ({ windows: name.startsWith('reduce') ? sortedPairs(o['print-0']) : o['print-0'], late: o['window-0-late'] ?? [] }));
          expect(norm(fused)).toEqual(norm(naive));
        }),
        { numRuns: 200 },
      );
    });

    it('gives the same windows when the process restarts before every batch', () => {
      fc.assert(
        fc.property(geometry, keyedBatches, (g, batches) => {
          const stream = (build(pipeline<[string, number]>('p'), options(g)) as Stream<unknown>).print(1e6) as Stream<unknown>;
          expect(runTimed(stream, batches, { cold: true })).toEqual(runTimed(stream, batches));
        }),
        { numRuns: 100 },
      );
    });
  });
});
