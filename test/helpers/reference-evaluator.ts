import type { OpSpec } from '../../lib/core/pipeline/op-spec';
import type { Stream } from '../../lib/core/pipeline/stream';
import { compilePipeline } from '../../lib/core/engine/compile-pipeline';
import { bucketOf } from '../../lib/core/state/bucket-of';
import { encodeKey, decodeKey } from '../../lib/core/state/key-codec';

/** State of the reference evaluator: per stateful operator, encoded key → [value, updatedAtMs]. */
export type ReferenceState = Map<string, Map<string, [unknown, number]>>;

/**
 * Runs a pipeline one stage at a time, materializing every intermediate array: the obviously
 * correct (and slow) semantics the fused engine must match. Exists only for tests.
 */
export function evaluateNaively(stream: Stream<unknown>, elements: readonly unknown[], state: ReferenceState, batchTimeMs: number): { outputs: Array<{ id: string; items: unknown[] }> } {
  let data: unknown[] = [...elements];
  const outputs: Array<{ id: string; items: unknown[] }> = [];
  for (const op of stream.ops as OpSpec[]) {
    switch (op.kind) {
      case 'map':
        data = data.map(op.fn);
        break;
      case 'filter':
        data = data.filter(op.fn);
        break;
      case 'flatMap':
        data = data.flatMap((x) => [...op.fn(x)]);
        break;
      case 'mapValues':
        data = data.map((x) => [(x as unknown[])[0], op.fn((x as unknown[])[1])]);
        break;
      case 'countByValue':
        data = groupBy(data.map((x) => [x, 1]), (a, b) => (a as number) + (b as number));
        break;
      case 'reduceByKey':
        data = groupBy(data as unknown[], op.fn);
        break;
      case 'transform':
        data = op.fn(data);
        break;
      case 'updateStateByKey': {
        const st = state.get(op.id) ?? new Map<string, [unknown, number]>();
        state.set(op.id, st);
        const grouped = new Map<string, unknown[]>();
        for (const pair of data as Array<[unknown, unknown]>) {
          const k = encodeKey(pair[0]);
          grouped.set(k, [...(grouped.get(k) ?? []), pair[1]]);
        }
        for (const [k, values] of grouped) {
          const next = op.update(values, st.get(k)?.[0]);
          if (next === undefined) st.delete(k);
          else st.set(k, [next, batchTimeMs]);
        }
        if (op.idleTimeoutMs !== undefined) for (const [k, [, at]] of [...st]) if (batchTimeMs - at >= op.idleTimeoutMs) st.delete(k);
        // The engine's documented order: bucket by bucket, each in insertion order.
        const buckets = compiledBucketCount(stream);
        data = [...st]
          .map(([k, [v]], i) => ({ k, v, b: bucketOf(k, buckets), i }))
          .sort((x, y) => x.b - y.b || x.i - y.i)
          .map(({ k, v }) => [decodeKey(k), v]);
        break;
      }
      case 'print':
      case 'foreachBatch':
        outputs.push({ id: op.id, items: [...data] });
        break;
    }
  }
  return { outputs };
}

function groupBy(pairs: unknown[], fn: (a: unknown, b: unknown) => unknown): unknown[] {
  const acc = new Map<string, unknown>();
  for (const pair of pairs as Array<[unknown, unknown]>) {
    const k = encodeKey(pair[0]);
    acc.set(k, acc.has(k) ? fn(acc.get(k), pair[1]) : pair[1]);
  }
  return [...acc].map(([k, v]) => [decodeKey(k), v]);
}

function compiledBucketCount(stream: Stream<unknown>): number {
  return compilePipeline(stream).statefulOperators[0]!.bucketCount;
}
