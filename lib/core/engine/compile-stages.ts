import { ConfigError } from '../errors';
import type { ElementOp, ExchangeOp, OpSpec, WindowOp } from '../pipeline/op-spec';
import { ELEMENT_KINDS, STATEFUL_KINDS, WINDOW_KINDS } from '../pipeline/op-spec';
import type { Stream } from '../pipeline/stream';
import { compileOps, type CompiledPipeline } from './compile-pipeline';

/** A pipeline cut at its exchanges: stage 0 reads the source, stage i+1 reads the exchange stage i sends to. */
export interface StagedPipeline {
  readonly name: string;
  readonly stages: readonly CompiledPipeline[];
}

/** The app name of stage `index` of app `app`: stage 0 keeps the app's own, so a single-stage app is unchanged. */
export function stageApp(app: string, index: number): string {
  return index === 0 ? app : `${app}.s${index}`;
}

const add = (a: unknown, b: unknown): unknown => (a as number) + (b as number);

/**
 * The stage that holds stateful operator `operatorId` (default: the pipeline's last stateful
 * operator), and that stage's compiled pipeline. After `keyBy`, its state is global per key.
 */
export function stageOfOperator(staged: StagedPipeline, operatorId?: string): { stage: number; pipeline: CompiledPipeline } {
  for (let s = staged.stages.length - 1; s >= 0; s--) {
    const pipeline = staged.stages[s]!;
    const ids = pipeline.statefulOperators.map((o) => o.id);
    if (operatorId === undefined ? ids.length > 0 : ids.includes(operatorId)) return { stage: s, pipeline };
  }
  const all = staged.stages.flatMap((p) => p.statefulOperators.map((o) => o.id));
  throw new ConfigError(
    'operator',
    operatorId === undefined
      ? `pipeline ${staged.name} has no stateful operator`
      : `no stateful operator ${JSON.stringify(operatorId)} (have: ${all.join(', ') || 'none'})`,
  );
}

/**
 * Cuts a pipeline at each `keyBy` / `global` into stages (docs/decisions/0015). Where the operator
 * after an exchange allows it, the stage before it pre-aggregates each batch (map-side combine):
 * `countByValue` becomes a count before the exchange and a sum of counts after it; `reduceByKey`
 * runs on both sides. A pipeline without exchanges is one stage compiled as it always was.
 */
export function compileStages(stream: Stream<unknown>): StagedPipeline {
  const { definition, ops } = stream;
  const ids = new Set<string>();
  for (const op of ops) {
    if (!STATEFUL_KINDS.has(op.kind) || !('id' in op)) continue;
    if (ids.has(op.id))
      throw new ConfigError(`${op.kind}.name`, `${JSON.stringify(op.id)} names two stateful operators of this pipeline; give each a distinct name`);
    ids.add(op.id);
  }
  const groups: OpSpec[][] = [[]];
  for (const op of ops) {
    if (op.kind === 'exchange') {
      groups[groups.length - 1]!.push(op);
      groups.push([]);
    } else groups[groups.length - 1]!.push(op);
  }
  if (groups.length === 1) return { name: definition.name, stages: [compileOps(definition, ops, undefined)] };

  // Map-side combine: rewrite each boundary where the next operator is a per-batch aggregate.
  for (let s = 0; s < groups.length - 1; s++) {
    const before = groups[s]!;
    const after = groups[s + 1]!;
    const exchange = before[before.length - 1] as ExchangeOp;
    const next = after[0];
    if (!exchange.combine || next === undefined) continue;
    if (next.kind === 'countByValue') {
      const key = exchange.key;
      before.splice(before.length - 1, 1, next, { ...exchange, key: key === undefined ? undefined : (pair: unknown) => key((pair as [unknown, number])[0]) });
      after[0] = { kind: 'reduceByKey', fn: add };
    } else if (next.kind === 'reduceByKey' && (exchange.key === undefined || exchange.mode === 'global')) {
      before.splice(before.length - 1, 0, next);
    }
  }

  const eventTimeAfter = moveEventTimeToSenders(groups);

  const stages: CompiledPipeline[] = [];
  for (let s = 0; s < groups.length; s++) {
    const receives = s > 0;
    const later = groups.slice(s + 1).flat();
    // Time must flow through the exchange only when a window after it waits for every origin.
    const windows = later.filter((op): op is WindowOp => WINDOW_KINDS.has(op.kind));
    const tickEveryMs = windows.length === 0 ? 0 : Math.min(...windows.map((w) => w.slideMs));
    const name = s === 0 ? definition.name : `${definition.name}.s${s}`;
    stages.push(
      compileOps({ ...definition, name }, groups[s]!, {
        stage: s,
        receives,
        progress: windows.length > 0,
        tickEveryMs,
        eventTime: receives && eventTimeAfter[s - 1] === true,
      }),
    );
  }
  return { name: definition.name, stages };
}

/**
 * Event-time windows after an exchange (docs/decisions/0015, Time). Such a window's watermark is
 * the event time every origin has passed, so each element must cross with its event time, computed
 * where the origin's progress is known: on the sending side. The element operators between the
 * exchange and the window move there (they run after routing, on each routed element), and the
 * window's `eventTime` with them. `result[s]`: the exchange ending stage s carries event time.
 */
function moveEventTimeToSenders(groups: OpSpec[][]): boolean[] {
  const result = groups.map(() => false);
  for (let s = 1; s < groups.length; s++) {
    const group = groups[s]!;
    const at = group.findIndex((op) => WINDOW_KINDS.has(op.kind) && (op as WindowOp).eventTime !== undefined);
    if (at === -1) continue;
    const window = group[at] as WindowOp;
    const refuse = (why: string): never => {
      throw new ConfigError(`${window.kind}.eventTime`, `an event-time window after keyBy/global ${why}`);
    };
    if (s > 1) refuse('is supported after the first keyBy/global only; put it after the first one, or use arrival time');
    const before = group.slice(0, at);
    const blocker = before.find((op) => !ELEMENT_KINDS.has(op.kind));
    if (blocker !== undefined)
      refuse(
        `must follow it directly or after map/flatMap/filter/mapValues only (found ${blocker.kind} between them): its event time is computed on the sending side`,
      );
    if (groups.slice(s + 1).some((g) => g.some((op) => WINDOW_KINDS.has(op.kind))))
      refuse('cannot feed windows after a later keyBy/global yet; use arrival time there, or one exchange');
    if (group.some((op, i) => i > at && WINDOW_KINDS.has(op.kind) && (op as WindowOp).eventTime !== undefined))
      refuse('must be the only event-time window of its stage');
    const sender = groups[s - 1]!;
    const exchange = sender[sender.length - 1] as ExchangeOp;
    sender[sender.length - 1] = { ...exchange, sendSide: { chain: before as ElementOp[], eventTime: window.eventTime! } };
    group.splice(0, at);
    result[s - 1] = true;
  }
  return result;
}
