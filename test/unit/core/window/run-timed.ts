import { compilePipeline, type CompiledPipeline } from '../../../../lib/core/engine/compile-pipeline';
import type { Stream } from '../../../../lib/core/pipeline/stream';
import { encodeKey } from '../../../../lib/core/state/key-codec';
import type { OperatorState } from '../../../../lib/core/state/operator-state';

/** One batch of a timed test: its elements with their arrival times, and its batch time. */
export interface TimedBatch {
  readonly records: ReadonlyArray<readonly [element: unknown, arrivalMs: number]>;
  readonly batchTimeMs?: number;
  /** Makes the batch an idle tick: the source had nothing at this time. */
  readonly idleAtMs?: number;
}

/** What one batch emitted, by output id, with the failures it reported. */
export interface TimedResult {
  readonly outputs: Record<string, unknown[]>;
  readonly failures: Array<{ operator: string; error: string }>;
}

/**
 * Runs `batches` through a compiled pipeline in order, on one set of states. `cold: true` simulates a
 * restart before every batch: a freshly compiled pipeline over a serialized copy of the state, so
 * whatever a barrier kept outside the state would be lost.
 */
export function runTimed(stream: Stream<unknown>, batches: readonly TimedBatch[], options: { cold?: boolean } = {}): TimedResult[] {
  let compiled: CompiledPipeline = compilePipeline(stream);
  let states: Map<string, OperatorState> = compiled.createStates();
  return batches.map((batch, i) => {
    if (options.cold === true) {
      compiled = compilePipeline(stream);
      states = new Map([...states].map(([id, s]) => [id, s.clone()]));
    }
    const result = compiled.run(
      batch.records.map(([x]) => x),
      states,
      batch.batchTimeMs ?? i * 1_000,
      batch.records.map(([, t]) => t),
      batch.idleAtMs,
    );
    // As after a commit: the batch's changes are settled.
    for (const s of states.values()) s.settle();
    const outputs: Record<string, unknown[]> = {};
    for (const o of result.outputs) outputs[o.op.id] = o.items;
    return { outputs, failures: result.failures.map((f) => ({ operator: f.operator, error: String(f.error) })) };
  });
}

/** Batches from lists of arrival times, each element being its own time. */
export function timed(...batches: number[][]): TimedBatch[] {
  return batches.map((times) => ({ records: times.map((t) => [t, t] as const) }));
}

/** Sorts the `[key, value]` pairs of every window by encoded key: the engine emits them in state order. */
export function sortedPairs(windows: unknown[] | undefined): unknown[] | undefined {
  return windows?.map((w) => {
    const { value } = w as { value: Array<[unknown, unknown]> };
    return { ...(w as object), value: [...value].sort((a, b) => (encodeKey(a[0]) < encodeKey(b[0]) ? -1 : encodeKey(a[0]) > encodeKey(b[0]) ? 1 : 0)) };
  });
}
