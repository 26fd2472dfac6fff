import { partitionOf, type TimedElement } from '../exchange/exchange-chunks';
import type { ElementOp, ExchangeOp, ExchangeOutput } from '../pipeline/op-spec';
import { timeOf } from '../window/event-time';
import type { Barrier, RecordContext } from './barriers';
import { applyStep } from './fuse';

/**
 * The end of a stage that sends across an exchange: routes each element, with its time, to the
 * partition that owns its key, and hands the batch's routing to the runtime as an `exchange`
 * emission. Produces no elements itself: what follows runs in the next stage.
 *
 * With `sendSide` (an event-time window after the exchange), each routed element goes through the
 * element operators that preceded that window, and what comes out crosses with its event time.
 */
export function createExchangeBarrier(op: ExchangeOp, record: RecordContext): Barrier {
  const output: ExchangeOutput = { kind: 'exchange', id: 'exchange', partitions: op.partitions };
  const key = op.key ?? defaultKey;
  let perPartition: TimedElement[][] = fresh();
  function fresh(): TimedElement[][] {
    return Array.from({ length: op.partitions }, () => []);
  }
  const route = (x: unknown): number => (op.mode === 'global' ? 0 : partitionOf(key(x), op.partitions));
  const sendSide = op.sendSide;
  return {
    push:
      sendSide === undefined
        ? (x) => void perPartition[route(x)]!.push([x, record.arrivalMs])
        : (x) => {
            const into = perPartition[route(x)]!;
            for (const y of applyChain(sendSide.chain, x)) into.push([y, timeOf(sendSide.eventTime, y, record.arrivalMs)]);
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

/** What element operators make of one element: none (filtered), one, or many (flatMap). */
function applyChain(chain: readonly ElementOp[], x: unknown): unknown[] {
  let values: unknown[] = [x];
  for (const step of chain) values = applyStep(step, values);
  return values;
}

/** The key of an element when `keyBy` is given none: a `[key, value]` pair's key, or the element itself. */
export function defaultKey(x: unknown): unknown {
  return Array.isArray(x) && x.length === 2 ? x[0] : x;
}
