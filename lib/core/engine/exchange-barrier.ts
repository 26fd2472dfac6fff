import { partitionOf, type TimedElement } from '../exchange/exchange-chunks';
import type { ExchangeOp, ExchangeOutput } from '../pipeline/op-spec';
import type { Barrier, RecordContext } from './barriers';

/**
 * The end of a stage that sends across an exchange: routes each element, with its time, to the
 * partition that owns its key, and hands the batch's routing to the runtime as an `exchange`
 * emission. Produces no elements itself: what follows runs in the next stage.
 */
export function createExchangeBarrier(op: ExchangeOp, record: RecordContext): Barrier {
  const output: ExchangeOutput = { kind: 'exchange', id: 'exchange', partitions: op.partitions };
  const key = op.key ?? defaultKey;
  let perPartition: TimedElement[][] = fresh();
  function fresh(): TimedElement[][] {
    return Array.from({ length: op.partitions }, () => []);
  }
  return {
    push:
      op.mode === 'global'
        ? (x) => void perPartition[0]!.push([x, record.arrivalMs])
        : (x) => {
            perPartition[partitionOf(key(x), op.partitions)]!.push([x, record.arrivalMs]);
          },
    reset: () => {
      perPartition = fresh();
    },
    finish: (ctx) => {
      ctx.outputs.push({ op: output, items: perPartition });
      return [];
    },
  };
}

/** The key of an element when `keyBy` is given none: a `[key, value]` pair's key, or the element itself. */
export function defaultKey(x: unknown): unknown {
  return Array.isArray(x) && x.length === 2 ? x[0] : x;
}
