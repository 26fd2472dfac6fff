import type { MapWithStateOp } from '../pipeline/op-spec';
import { decodeKey, encodeKey } from '../state/key-codec';
import { stateOf, type OperatorState } from '../state/operator-state';
import { timeOf } from '../window/event-time';
import { KeyStateHandle } from '../window/key-state';
import { advanceWatermark, META_KEY, readMeta, writeMeta } from '../window/operator-meta';
import type { Barrier, FinishContext, RecordContext } from './barriers';
import { asPair } from './fuse';

/**
 * The barrier of `mapWithState`: calls the user's function once per value, key by key (in order of
 * first appearance; by time within a key when the operator has an event time), and then once for
 * every key idle for the timeout, which is removed. Emits what the calls return.
 *
 * Idle time is batch time (Spark's processing-time timeout), or with an event time the watermark
 * minus the key's latest time (Structured Streaming's event-time timeout). The watermark is kept
 * in the operator's state, so it commits with the offsets and a re-run sees the same one.
 */
export function createMapWithStateBarrier(op: MapWithStateOp, record: RecordContext): Barrier {
  const operator = `mapWithState(${op.id})`;
  let values = new Map<string, Array<[value: unknown, timeMs: number]>>();
  let maxTimeMs = -Infinity;
  return {
    push: (x) => {
      const pair = asPair(x, 'mapWithState');
      const t = op.eventTime === undefined ? 0 : timeOf(op.eventTime, x, record.arrivalMs);
      const k = encodeKey(pair[0]);
      const list = values.get(k);
      if (list === undefined) values.set(k, [[pair[1], t]]);
      else list.push([pair[1], t]);
      if (t > maxTimeMs) maxTimeMs = t;
    },
    reset: () => {
      values = new Map();
      maxTimeMs = -Infinity;
    },
    finish: (ctx) => {
      const state = stateOf(ctx.states, op.id);
      const out: unknown[] = [];
      for (const [k, list] of values) update(ctx, state, k, list, out);
      let clockMs: number | null = ctx.batchTimeMs;
      if (op.eventTime !== undefined) {
        const before = readMeta(state);
        const after = { ...before, watermarkMs: advanceWatermark(before.watermarkMs, maxTimeMs, op.maxOutOfOrdernessMs) };
        writeMeta(state, before, after, ctx.batchTimeMs);
        clockMs = after.watermarkMs;
      }
      if (op.idleTimeoutMs !== undefined && clockMs !== null) expire(ctx, state, clockMs, op.idleTimeoutMs, out);
      return out;
    },
  };

  function update(ctx: FinishContext, state: OperatorState, k: string, list: Array<[unknown, number]>, out: unknown[]): void {
    // Array sort is stable: equal times keep their arrival order.
    if (op.eventTime !== undefined && list.length > 1) list.sort((a, b) => a[1] - b[1]);
    const key = decodeKey(k);
    const prev = state.get(k);
    const handle = new KeyStateHandle<unknown>(prev?.value, prev !== undefined, false, ctx.batchTimeMs);
    const emitted: unknown[] = [];
    try {
      for (const [value, timeMs] of list) {
        if (op.eventTime !== undefined) handle.timeMs = timeMs;
        const r = op.fn(key, value, handle);
        if (r !== undefined) emitted.push(r);
      }
    } catch (error) {
      // The key keeps its previous state and emits nothing; its values of this batch go to quarantine.
      ctx.failures.push({ stage: ctx.stage, index: undefined, operator, element: [key, list.map(([v]) => v)], error });
      return;
    }
    for (const r of emitted) out.push(r);
    if (!handle.exists()) {
      if (prev !== undefined) state.delete(k);
      return;
    }
    // A key's idle clock restarts with every value, as in Spark, whether or not its state changed.
    const lastMs = op.eventTime === undefined ? ctx.batchTimeMs : Math.max(prev?.updatedAtMs ?? -Infinity, list[list.length - 1]![1]);
    const timeChanged = op.idleTimeoutMs !== undefined && prev?.updatedAtMs !== lastMs;
    if (prev === undefined || handle.changed || timeChanged) state.set(k, { value: handle.getOption(), updatedAtMs: lastMs });
  }

  function expire(ctx: FinishContext, state: OperatorState, clockMs: number, idleTimeoutMs: number, out: unknown[]): void {
    const expired: Array<[string, unknown]> = [];
    for (const [k, e] of state.entries()) if (k !== META_KEY && clockMs - e.updatedAtMs >= idleTimeoutMs) expired.push([k, e.value]);
    for (const [k, value] of expired) {
      const key = decodeKey(k);
      try {
        const r = op.fn(key, undefined, new KeyStateHandle<unknown>(value, true, true, clockMs));
        if (r !== undefined) out.push(r);
      } catch (error) {
        // The key is removed all the same (a throwing timeout would otherwise fire every batch); its state goes to quarantine.
        ctx.failures.push({ stage: ctx.stage, index: undefined, operator, element: [key, value], error });
      }
      state.delete(k);
    }
  }
}
