import { ConfigError } from '../errors';
import type { BarrierOp, ElementOp, ExchangeOp, InputFormat, MapWithStateOp, OpSpec, OutputOp, UpdateStateByKeyOp, WindowOp } from '../pipeline/op-spec';
import { ELEMENT_KINDS, OUTPUT_KINDS, STATEFUL_KINDS, WINDOW_KINDS } from '../pipeline/op-spec';
import type { PipelineDefinition } from '../pipeline/stream';
import type { Stream } from '../pipeline/stream';
import { OperatorState } from '../state/operator-state';
import { createBarrier, type Barrier, type RecordContext } from './barriers';
import type { BatchComputation, ElementFailure, OutputEmission } from './batch-computation';
import { applyStep, fuse, type Push, type Tap } from './fuse';
import { createExchangeBarrier } from './exchange-barrier';
import { createFoldIntoStateBarrier, type FoldableAggregate } from './update-state-barrier';

/** A stateful operator as the runtime sees it: its id (which names its state) and how shards' partials merge. */
export interface StatefulOperatorInfo {
  readonly id: string;
  readonly merge: ((a: unknown, b: unknown) => unknown) | undefined;
}

/**
 * A pipeline ready to run batches: its element operators fused into one pass per segment, where a
 * segment ends at a barrier (a per-key aggregate or `transform`).
 *
 * `run` is synchronous and deterministic: the same elements, state and batch time always give the
 * same outputs and state. It mutates the operator states in place; the caller owns rollback.
 */
export interface CompiledPipeline {
  readonly name: string;
  readonly input: InputFormat;
  /** The state layout (operator ids and window geometries); a checkpoint must match it. */
  readonly stateLayout: string;
  readonly statefulOperators: readonly StatefulOperatorInfo[];
  /** `kind(id)` of each stateful operator without a `name`, whose id is its position. */
  readonly unnamedStatefulOperators: readonly string[];
  /** Empty states, one per stateful operator. */
  createStates(): Map<string, OperatorState>;
  /**
   * Runs one batch. `arrivalsMs[i]` is the arrival time of `elements[i]` (for arrival-time windows);
   * without it every element counts as arriving at `batchTimeMs`.
   *
   * An **idle tick** is a batch of no elements run because the source had nothing at `idleAtMs`: no
   * record read later can have arrived before it, so arrival-time windows advance their watermark
   * to it and close on a quiet source, as Spark's windows do at every batch interval.
   */
  run(
    elements: readonly unknown[],
    states: ReadonlyMap<string, OperatorState>,
    batchTimeMs: number,
    arrivalsMs?: readonly number[],
    idleAtMs?: number,
    inputWatermarkMs?: number,
  ): BatchComputation;
  /** True when the pipeline has arrival-time windows, the only operators an idle tick moves. */
  readonly usesIdleTicks: boolean;
  /**
   * The earliest `idleAtMs` at which an idle tick would emit something (an arrival-time window
   * holding data would close), or undefined when no tick would. Written in the checkpoint, so the
   * controller knows which quiet shards to tick on Lambda.
   */
  tickDueAtMs(states: ReadonlyMap<string, OperatorState>): number | undefined;
  /**
   * Set for a stage that ends at an exchange (docs/decisions/0015): each batch's outputs then hold
   * one `exchange` emission, the elements routed per partition, which the runtime sends before the
   * commit. `progress`: every batch sends every partition at least an empty chunk, and a quiet
   * shard ticks every `tickEveryMs`, because a window after the exchange waits for every origin.
   */
  readonly sends?: {
    readonly partitions: number;
    readonly progress: boolean;
    readonly tickEveryMs: number;
    /** Each element crosses with its event time for an event-time window after the exchange; chunks carry the origin's event progress. */
    readonly eventTime?: boolean;
  };
  /**
   * Set for a stage fed by an exchange: its input is the exchange's chunks, de-duplicated per origin,
   * and its windows' time is the least progress of the origins (`inputWatermarkMs`), never a clock.
   */
  readonly receives?: boolean;
  /**
   * A receiving stage whose window is event-time: elements carry their event time, and
   * `inputWatermarkMs` is the event time every origin has passed ({@link eventInputWatermark}).
   */
  readonly receivesEventTime?: boolean;
}

/** How one stage of a pipeline with exchanges is compiled (see {@link compileStages}). */
export interface StageOptions {
  readonly stage: number;
  readonly receives: boolean;
  readonly progress: boolean;
  readonly tickEveryMs: number;
  /**
   * A receiving stage whose first barrier is an event-time window: its elements carry their event
   * time across the exchange (computed by the sender), and its input watermark is event time.
   */
  readonly eventTime?: boolean;
}

interface Segment {
  readonly chain: Array<ElementOp | Tap>;
  /** How a quarantine entry names each step of `chain`: `flatMap #1`, or the operator's own name. */
  readonly labels: string[];
  readonly taps: Tap[];
  readonly barrier: Barrier | undefined;
  /** How a quarantine entry names the barrier that threw: its operator's label. */
  readonly barrierName: string;
  /** The barrier's operator kind (`reduceByKeyAndWindow`, `exchange`...); '' without a barrier. */
  readonly barrierKind: string;
  push: Push;
}

/** Compiles a stream into a {@link CompiledPipeline}. */
export function compilePipeline(stream: Stream<unknown>): CompiledPipeline {
  const stages = stream.ops.filter((op) => op.kind === 'exchange').length;
  if (stages > 0) {
    throw new ConfigError(
      'pipeline',
      `${JSON.stringify(stream.definition.name)} has ${stages + 1} stages (keyBy/global): run it with \`sluice run\`, \`sluice dev\`, InMemoryRun, \`sluice replay\` or the StreamProcessor construct, which run every stage with its exchange`,
    );
  }
  return compileOps(stream.definition, stream.ops, undefined);
}

/**
 * Compiles the operators of one stage. `stage` is undefined for a pipeline without exchanges,
 * which compiles exactly as it always did.
 */
export function compileOps(definition: PipelineDefinition, ops: readonly OpSpec[], stage: StageOptions | undefined): CompiledPipeline {
  const stateful = ops.filter((op): op is StatefulOp => STATEFUL_KINDS.has(op.kind));
  const statefulOperators = stateful.map((op) => ({ id: op.id, merge: 'merge' in op ? op.merge : undefined }));
  rejectDuplicateIds(stateful);

  const record: RecordContext = { arrivalMs: 0 };
  const label = operatorLabels(ops);
  const segments: Segment[] = [];
  let current: Segment = newSegment();
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const following = ops[i + 1];
    if ((op.kind === 'countByValue' || op.kind === 'reduceByKey') && following?.kind === 'updateStateByKey') {
      // A per-batch aggregate straight into updateStateByKey: one barrier that folds into the state.
      segments.push({
        ...current,
        barrier: createFoldIntoStateBarrier(op as FoldableAggregate, following),
        barrierName: `${label[i]!} → ${label[i + 1]!}`,
        barrierKind: following.kind,
      });
      current = newSegment();
      i++;
    } else if (op.kind === 'exchange') {
      if (i !== ops.length - 1) throw new ConfigError('keyBy', 'an exchange must end its stage');
      segments.push({ ...current, barrier: createExchangeBarrier(op as ExchangeOp, record), barrierName: 'exchange', barrierKind: 'exchange' });
      current = newSegment();
    } else if (ELEMENT_KINDS.has(op.kind)) {
      current.chain.push(op as ElementOp);
      current.labels.push(label[i]!);
    } else if (OUTPUT_KINDS.has(op.kind)) {
      const tap: Tap = { op: op as OutputOp, items: [] };
      current.chain.push(tap);
      current.labels.push(label[i]!);
      current.taps.push(tap);
    } else {
      const barrierOp = op as BarrierOp;
      const done: Segment = {
        ...current,
        barrier: createBarrier(
          barrierOp,
          record,
          stage?.receives === true,
          stage?.eventTime === true && 'eventTime' in barrierOp && barrierOp.eventTime !== undefined,
        ),
        barrierName: label[i]!,
        barrierKind: barrierOp.kind,
      };
      segments.push(done);
      current = newSegment();
    }
  }
  if (current.chain.length > 0 || segments.length === 0) segments.push(current);
  for (const s of segments) s.push = fuse(s.chain, s.barrier?.push ?? noop);

  const exchange = ops[ops.length - 1]?.kind === 'exchange' ? (ops[ops.length - 1] as ExchangeOp) : undefined;
  const windowTimes = stage !== undefined;
  // A window's panes are cut by its slide: state written under another geometry cannot be resumed.
  const stateLayout = stateful.map((op) => `${op.id}${'windowMs' in op ? `@${op.windowMs}:${op.slideMs}` : ''}`).join(',');

  return {
    name: definition.name,
    input: definition.input,
    stateLayout,
    statefulOperators,
    unnamedStatefulOperators: stateful.filter((op) => op.unnamed === true).map((op) => `${op.kind}(${op.id})`),
    createStates: () => new Map(statefulOperators.map((o) => [o.id, new OperatorState()])),
    run: (elements, states, batchTimeMs, arrivalsMs, idleAtMs, inputWatermarkMs) =>
      runSegments(segments, record, { elements, states, batchTimeMs, arrivalsMs, idleAtMs, inputWatermarkMs, windowTimes }),
    // A stage fed by an exchange takes its time from the origins' progress, never from a tick.
    usesIdleTicks: stage?.receives !== true && segments.some((s) => s.barrier?.tickDueAtMs !== undefined),
    ...(exchange === undefined
      ? {}
      : {
          sends: {
            partitions: exchange.partitions,
            progress: stage?.progress ?? false,
            tickEveryMs: stage?.tickEveryMs ?? 0,
            ...(exchange.sendSide === undefined ? {} : { eventTime: true }),
          },
        }),
    ...(stage?.receives === true ? { receives: true } : {}),
    ...(stage?.receives === true && stage.eventTime === true ? { receivesEventTime: true } : {}),
    tickDueAtMs: (states) => {
      let due: number | undefined;
      for (const s of segments) {
        const d = s.barrier?.tickDueAtMs?.(states);
        if (d !== undefined && (due === undefined || d < due)) due = d;
      }
      return due;
    },
  };
}

interface BatchInput {
  readonly elements: readonly unknown[];
  readonly states: ReadonlyMap<string, OperatorState>;
  readonly batchTimeMs: number;
  readonly arrivalsMs: readonly number[] | undefined;
  readonly idleAtMs: number | undefined;
  readonly inputWatermarkMs: number | undefined;
  /** Elements a window emits carry its last millisecond as their time into later segments (stages of an exchange pipeline). */
  readonly windowTimes: boolean;
}

function runSegments(segments: readonly Segment[], record: RecordContext, batch: BatchInput): BatchComputation {
  const { elements, states, batchTimeMs } = batch;
  const failures: ElementFailure[] = [];
  const outputs: OutputEmission[] = [];
  let input: readonly unknown[] = elements;
  let windowed = false;
  for (let stage = 0; stage < segments.length; stage++) {
    const segment = segments[stage]!;
    // Only the input stage knows each element's arrival; later stages see the batch time, or, in a
    // pipeline with exchanges, a window's elements its last millisecond (how a global step after the
    // exchange files each partition's window under the same time).
    const arrivals = stage === 0 ? batch.arrivalsMs : windowed ? (input as ReadonlyArray<{ endMs: number }>).map((w) => w.endMs - 1) : undefined;
    record.arrivalMs = batchTimeMs;
    segment.barrier?.begin?.({ states, batchTimeMs });
    if (stage > 0 && segment.chain.length === 0 && segment.barrier?.takeAll !== undefined && arrivals === undefined) {
      // Nothing to run per element: the previous barrier's output is this one's input, whole.
      segment.barrier.reset();
      segment.barrier.takeAll(input as unknown[]);
    } else {
      pushAll(segment, input, stage, failures, record, arrivals);
    }
    for (const tap of segment.taps) {
      outputs.push({ op: tap.op, items: tap.items });
      tap.items = [];
    }
    if (segment.barrier === undefined) break;
    const next = segments[stage + 1];
    input = segment.barrier.finish({
      states,
      batchTimeMs,
      stage: stage + 1,
      materialize: next !== undefined,
      failures,
      outputs,
      idleAtMs: batch.idleAtMs,
      inputWatermarkMs: batch.inputWatermarkMs,
    });
    windowed = batch.windowTimes && WINDOW_KINDS.has(segment.barrierKind);
    segment.barrier.reset();
  }
  // Outputs appear in pipeline order, whatever segment they tapped.
  return { outputs, failures };
}

/**
 * Pushes every element through the segment. When a user function throws, the element is recorded
 * as failed and the whole segment is re-run without it, so no element is ever half-applied.
 */
function pushAll(
  segment: Segment,
  input: readonly unknown[],
  stage: number,
  failures: ElementFailure[],
  record: RecordContext,
  arrivals: readonly number[] | undefined,
): void {
  const skip = new Set<number>();
  for (;;) {
    segment.barrier?.reset();
    for (const tap of segment.taps) tap.items = [];
    const found: Array<[number, unknown]> = [];
    const push = segment.push;
    for (let i = 0; i < input.length; i++) {
      if (skip.size > 0 && skip.has(i)) continue;
      if (arrivals !== undefined) record.arrivalMs = arrivals[i]!;
      try {
        push(input[i]);
      } catch (error) {
        // Keep going: later elements are independent, and the re-run below drops every failed one.
        found.push([i, error]);
      }
    }
    if (found.length === 0) return;
    for (const [i, error] of found) {
      skip.add(i);
      failures.push({ stage, index: i, operator: failedOperator(segment, input[i]), element: input[i], error });
    }
  }
}

type StatefulOp = UpdateStateByKeyOp | WindowOp | MapWithStateOp;

/** Two operators with one id would write each other's state. */
function rejectDuplicateIds(stateful: readonly StatefulOp[]): void {
  const seen = new Set<string>();
  for (const op of stateful) {
    if (seen.has(op.id))
      throw new ConfigError(`${op.kind}.name`, `${JSON.stringify(op.id)} names two stateful operators of this pipeline; give each a distinct name`);
    seen.add(op.id);
  }
}

function newSegment(): Segment {
  return { chain: [], labels: [], taps: [], barrier: undefined, barrierName: '', barrierKind: '', push: noop };
}

/**
 * Each operator's name in quarantine entries: the name given to it (a stateful operator's `name`),
 * else its kind and its rank among the pipeline's operators of that kind, `flatMap #1`.
 */
function operatorLabels(ops: Stream<unknown>['ops']): string[] {
  const seen = new Map<string, number>();
  return ops.map((op) => {
    const n = (seen.get(op.kind) ?? 0) + 1;
    seen.set(op.kind, n);
    return 'id' in op && typeof op.id === 'string' && !/^[a-zA-Z]+-\d+$/.test(op.id) ? `${op.kind} ${JSON.stringify(op.id)}` : `${op.kind} #${n}`;
  });
}

/**
 * Which operator of `segment` threw on `element`: the element is run again through the chain one
 * step at a time (the functions are pure, so it throws at the same step) without touching the
 * barrier; when no step throws, the barrier did. Only failures pay for it, never the fused pass.
 */
function failedOperator(segment: Segment, element: unknown): string {
  let values: unknown[] = [element];
  for (let s = 0; s < segment.chain.length; s++) {
    const step = segment.chain[s]!;
    if ('items' in step) continue;
    try {
      values = applyStep(step, values);
    } catch {
      return segment.labels[s]!;
    }
  }
  return segment.barrierName === '' ? 'the pipeline' : segment.barrierName;
}

function noop(): void {}

/**
 * The warning for a pipeline whose stateful operators go by their position (`state-0`, `window-1`):
 * inserting an operator before one renames its state, and the deployed app then refuses its
 * checkpoint. Undefined when every stateful operator has a `name`.
 */
export function unnamedStateWarning(pipeline: CompiledPipeline): string | undefined {
  const unnamed = pipeline.unnamedStatefulOperators;
  if (unnamed.length === 0) return undefined;
  return (
    `pipeline ${pipeline.name}: ${unnamed.join(', ')} ${unnamed.length === 1 ? 'has' : 'have'} no name, so ${unnamed.length === 1 ? 'its state is' : 'their states are'} named by position; ` +
    `inserting a stateful operator before ${unnamed.length === 1 ? 'it' : 'them'} would make the deployed app refuse its checkpoint. Give each a stable { name }.`
  );
}
