import type { BarrierOp } from '../pipeline/op-spec';
import { decodeKey, encodeKey } from '../state/key-codec';
import type { OperatorState } from '../state/operator-state';
import type { ElementFailure, OutputEmission } from './batch-computation';
import { asPair, type Push } from './fuse';
import { createMapWithStateBarrier } from './map-with-state-barrier';
import { createUpdateStateBarrier } from './update-state-barrier';
import { createWindowBarrier } from './window-barrier';

/** What a barrier may read before the batch's elements are pushed. */
export interface BeginContext {
  readonly states: ReadonlyMap<string, OperatorState>;
  readonly batchTimeMs: number;
}

/** What a barrier needs when the batch's elements have all been pushed. */
export interface FinishContext {
  readonly states: ReadonlyMap<string, OperatorState>;
  readonly batchTimeMs: number;
  readonly stage: number;
  /** False when nothing consumes the barrier's output, so it need not be built. */
  readonly materialize: boolean;
  readonly failures: ElementFailure[];
  /** The batch's outputs so far, in pipeline order: a barrier appends its side outputs (late records) here. */
  readonly outputs: OutputEmission[];
  /** Set on an idle tick (see {@link CompiledPipeline.run}): no record read later arrived before this time. */
  readonly idleAtMs: number | undefined;
  /** In a stage fed by an exchange: the time every origin has reached (docs/decisions/0015); undefined until each has some. */
  readonly inputWatermarkMs?: number | undefined;
}

/**
 * The end of a fused pass: collects a batch's elements (per-key aggregates, a list to transform)
 * and, once all are in, produces the input of the next pass.
 */
export interface Barrier {
  readonly push: Push;
  /**
   * Reads what pushing needs from the state (a window's watermark), once per batch before any
   * element is pushed. Barriers without state have none, so their batches pay nothing for it.
   */
  begin?(ctx: BeginContext): void;
  /** Forgets this batch's elements (before a batch, and before a re-run without failed elements). */
  reset(): void;
  finish(ctx: FinishContext): unknown[];
  /**
   * Takes a whole batch at once, in place of one push per element, when nothing runs between the
   * previous barrier and this one (`updateStateByKey(…).transform(…)`): the array is this batch's own.
   */
  takeAll?(items: unknown[]): void;
  /**
   * The earliest idle time at which a tick would emit something (an arrival-time window holding data
   * would close), or undefined when no tick would. Only such barriers define it.
   */
  tickDueAtMs?(states: ReadonlyMap<string, OperatorState>): number | undefined;
}

/**
 * A per-key accumulator, boxed so that adding to a key already seen is one map lookup (`get`, then
 * change the box) rather than two (`get`, then `set`): most of a batch's records hit known keys.
 */
interface Box {
  v: unknown;
}

/**
 * The element being pushed, as far as barriers need to know it: its arrival time. The engine sets
 * it before each element of the input stage, so no per-element wrapper object is allocated.
 */
export interface RecordContext {
  arrivalMs: number;
}

/** Builds the barrier of `op`. `record` is read by time-aware barriers (windows). */
export function createBarrier(op: BarrierOp, record: RecordContext, timeFromInput = false, carriedTime = false): Barrier {
  switch (op.kind) {
    case 'countByValue':
      return countByValue();
    case 'reduceByKey':
      return reduceByKey(op.fn);
    case 'transform':
      return transform(op.fn);
    case 'updateStateByKey':
      return createUpdateStateBarrier(op);
    case 'window':
    case 'reduceByKeyAndWindow':
    case 'countByWindow':
      return createWindowBarrier(op, record, timeFromInput, carriedTime);
    case 'mapWithState':
      return createMapWithStateBarrier(op, record);
  }
}

function countByValue(): Barrier {
  let counts = new Map<string, Box>();
  return {
    push: (x) => {
      const k = typeof x === 'string' && x.charCodeAt(0) !== 1 ? x : encodeKey(x);
      const box = counts.get(k);
      if (box === undefined) counts.set(k, { v: 1 });
      else box.v = (box.v as number) + 1;
    },
    reset: () => {
      counts = new Map();
    },
    ...perKeyResult(() => counts),
  };
}

function reduceByKey(fn: (a: unknown, b: unknown) => unknown): Barrier {
  let acc = new Map<string, Box>();
  return {
    push: (x) => {
      const pair = asPair(x, 'reduceByKey');
      const k = encodeKey(pair[0]);
      const box = acc.get(k);
      if (box === undefined) acc.set(k, { v: pair[1] });
      else box.v = fn(box.v, pair[1]);
    },
    reset: () => {
      acc = new Map();
    },
    ...perKeyResult(() => acc),
  };
}

/** How a per-key aggregate gives out its batch (`current()`): as `[key, value]` pairs. */
function perKeyResult(current: () => ReadonlyMap<string, Box>): Pick<Barrier, 'finish'> {
  return {
    finish: () => {
      const batch = current();
      const out = new Array<unknown>(batch.size);
      let i = 0;
      for (const [k, box] of batch) out[i++] = [decodeKey(k), box.v];
      return out;
    },
  };
}

function transform(fn: (items: unknown[]) => unknown[]): Barrier {
  let items: unknown[] = [];
  return {
    push: (x) => {
      items.push(x);
    },
    takeAll: (all) => {
      items = all;
    },
    reset: () => {
      items = [];
    },
    finish: (ctx) => {
      try {
        const out = fn(items);
        if (!Array.isArray(out)) throw new TypeError(`transform must return an array, got ${typeof out}`);
        return out;
      } catch (error) {
        // The whole batch's view is lost for downstream outputs; state upstream is unaffected.
        ctx.failures.push({ stage: ctx.stage, index: undefined, operator: 'transform', element: `${items.length} elements`, error });
        return [];
      }
    },
  };
}
