import type { BarrierOp, UpdateStateByKeyOp } from '../pipeline/op-spec';
import { decodeKey, encodeKey } from '../state/key-codec';
import { stateOf, type OperatorState, type StateEntry } from '../state/operator-state';
import type { Barrier, FinishContext } from './barriers';
import { asPair } from './fuse';

/** A per-batch aggregate that can fold straight into `updateStateByKey`'s state (see {@link createFoldIntoStateBarrier}). */
export type FoldableAggregate = Extract<BarrierOp, { kind: 'countByValue' | 'reduceByKey' }>;

/**
 * `updateStateByKey` (Spark's): groups a batch's values by key, calls `update(values, state)` for
 * each key that got values (docs/decisions/0001, deviation 2), removes idle keys, and outputs the
 * whole state when something downstream consumes it.
 */
export function createUpdateStateBarrier(op: UpdateStateByKeyOp): Barrier {
  let values = new Map<string, unknown[]>();
  return {
    push: (x) => {
      const pair = asPair(x, 'updateStateByKey');
      const k = encodeKey(pair[0]);
      const list = values.get(k);
      if (list === undefined) values.set(k, [pair[1]]);
      else list.push(pair[1]);
    },
    reset: () => {
      values = new Map();
    },
    finish: (ctx) => {
      const state = stateOf(ctx.states, op.id);
      for (const [k, vs] of values) applyUpdate(op, state, ctx, ctx.stage, k, vs, state.get(k));
      return expireAndOutput(op, state, ctx);
    },
  };
}

/**
 * `countByValue().updateStateByKey(…)` or `reduceByKey(…).updateStateByKey(…)` as one barrier: each
 * element is folded into its key's accumulator on the state's own map — one lookup per element,
 * like a hand-written loop, and no per-batch map or `[key, value]` pairs in between — then `update`
 * runs once per key with the batch's one aggregated value, as the two operators would.
 */
export function createFoldIntoStateBarrier(aggregate: FoldableAggregate, op: UpdateStateByKeyOp): Barrier {
  let state: OperatorState | undefined;
  const reduce = aggregate.kind === 'reduceByKey' ? aggregate.fn : undefined;
  return {
    begin: (ctx) => {
      state = ctx.states.get(op.id);
    },
    push:
      reduce === undefined
        ? (x) => state!.accumulateCount(typeof x === 'string' && x.charCodeAt(0) !== 1 ? x : encodeKey(x))
        : (x) => {
            const pair = asPair(x, 'reduceByKey');
            state!.accumulate(encodeKey(pair[0]), pair[1], reduce);
          },
    reset: () => {
      state?.clearAccumulators();
    },
    finish: (ctx) => {
      const s = stateOf(ctx.states, op.id);
      // The update is the second of the two operators: its failures keep the stage it would have had.
      s.drainAccumulators((acc, k, entry) => applyUpdate(op, s, ctx, ctx.stage + 1, k, [acc], entry));
      return expireAndOutput(op, s, ctx);
    },
  };
}

function applyUpdate(
  op: UpdateStateByKeyOp,
  state: OperatorState,
  ctx: FinishContext,
  stage: number,
  k: string,
  vs: unknown[],
  entry: StateEntry | undefined,
): void {
  let next: unknown;
  try {
    next = op.update(vs, entry?.value);
  } catch (error) {
    // The key keeps its previous state; its values of this batch go to quarantine.
    ctx.failures.push({ stage, index: undefined, operator: `updateStateByKey(${op.id})`, element: [decodeKey(k), vs], error });
    return;
  }
  if (next === undefined) state.delete(k);
  // Written even when `update` returned the previous value itself: it may have changed it in place.
  else state.putAt(k, entry, next, ctx.batchTimeMs);
}

/** Removes the keys idle for the timeout, and gives the whole state as `[key, value]` pairs when consumed. */
function expireAndOutput(op: UpdateStateByKeyOp, state: OperatorState, ctx: FinishContext): unknown[] {
  if (op.idleTimeoutMs !== undefined) {
    const timeoutMs = op.idleTimeoutMs;
    const now = ctx.batchTimeMs;
    const expired: string[] = [];
    state.forEachEntry((e, k) => {
      if (now - e.updatedAtMs >= timeoutMs) expired.push(k);
    });
    for (const k of expired) state.delete(k);
  }
  if (!ctx.materialize) return [];
  // In state order: the same sequence warm or after a reload (see OperatorState).
  return state.pairs(decodeKey);
}
