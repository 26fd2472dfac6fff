import { DEFAULT_PRINT_COUNT } from '../defaults';
import { ConfigError } from '../errors';
import { mapWithStateOp, type MappingFunction, type StateSpec } from '../window/state-spec';
import { statefulId, windowSpec, type ReduceWindowOptions, type WindowOptions } from '../window/window-options';
import type { LateRecord, Windowed } from '../window/windowed';
import type { BatchInfo, InputFormat, OpSpec } from './op-spec';
import { APP_NAME_RULE, isAppName } from '../app-name';

/** Options of {@link Stream.reduceByWindow}. */
export interface ReduceByWindowOptions<T> extends WindowOptions<T> {
  /** Undoes `reduce`, as `inverse` of {@link ReduceWindowOptions}. @default - every window is reduced from its slides */
  inverse?(a: T, b: T): T;
}

/** Options of {@link Stream.updateStateByKey}. */
export interface UpdateStateOptions<S> {
  /**
   * Name of the operator's state in the checkpoint. Keep it stable across deployments: without
   * one, inserting an operator before this one renames its state and the deployed app refuses
   * to resume (`sluice run` and `cdk synth` warn about every unnamed stateful operator).
   * @default - `state-N`, N counting the `updateStateByKey` operators before this one
   */
  readonly name?: string;
  /**
   * Removes a key whose state was not updated for this long (batch time), like Spark's
   * `StateSpec.timeout`.
   * @default - keys never expire
   */
  readonly idleTimeoutMs?: number;
  /**
   * Combines the partial states that different shards hold for one key, when state is read
   * across shards (`sluice state dump`). Must be associative and commutative.
   * @default - reading a key held by several shards fails with a message asking for `merge`
   */
  readonly merge?: (a: S, b: S) => S;
}

/**
 * A stream of elements of type `T`, built immutably: every operator returns a new `Stream`.
 * The vocabulary is Spark Streaming's; the engine fuses consecutive element operators into a
 * single pass per record, with no intermediate array per stage.
 *
 * @example
 * const counts = pipeline('word-count')
 *   .flatMap((line) => line.split(/\s+/).filter(Boolean))
 *   .countByValue()
 *   .updateStateByKey((counts, total = 0) => total + counts.reduce((a, b) => a + b, 0), { merge: (a, b) => a + b });
 */
export class Stream<T> {
  /** @internal */
  constructor(
    /** @internal */ readonly definition: PipelineDefinition,
    /** @internal */ readonly ops: readonly OpSpec[],
  ) {}

  /**
   * Applies `fn` to every element. A function returning a `[key, value]` literal gives a stream of
   * pairs, typed as such without `as const`: `words.map((w) => [w, 1])` is a `Stream<[string, number]>`.
   */
  map<K, V>(fn: (x: T) => readonly [K, V]): Stream<[K, V]>;
  map<U>(fn: (x: T) => U): Stream<U>;
  map(fn: (x: T) => unknown): Stream<unknown> {
    return this.#append({ kind: 'map', fn: fn as (x: unknown) => unknown });
  }

  /** Replaces every element by the elements `fn` returns for it (any iterable, arrays fastest). */
  flatMap<U>(fn: (x: T) => Iterable<U>): Stream<U> {
    return this.#append({ kind: 'flatMap', fn: fn as (x: unknown) => Iterable<unknown> });
  }

  /** Keeps the elements for which `fn` returns true. */
  filter(fn: (x: T) => boolean): Stream<T> {
    return this.#append({ kind: 'filter', fn: fn as (x: unknown) => boolean });
  }

  /** Applies `fn` to the value of every `[key, value]` pair. */
  mapValues<K, V, W>(this: Stream<readonly [K, V]>, fn: (v: V) => W): Stream<[K, W]> {
    return this.#append({ kind: 'mapValues', fn: fn as (v: unknown) => unknown });
  }

  /** Combines the values of each key within one batch with `fn` (associative, commutative). */
  reduceByKey<K, V>(this: Stream<readonly [K, V]>, fn: (a: V, b: V) => V): Stream<[K, V]> {
    return this.#append({ kind: 'reduceByKey', fn: fn as (a: unknown, b: unknown) => unknown });
  }

  /** Counts each distinct element within one batch: `[element, count]`. */
  countByValue(): Stream<[T, number]> {
    return this.#append({ kind: 'countByValue' });
  }

  /**
   * Keeps a running state per key across batches. `update` gets the key's values of this batch and
   * its previous state (`undefined` at first) and returns the new state, or `undefined` to remove
   * the key. It is called only for keys that received values in this batch (as `mapWithState`
   * does). The stream it returns holds every key's state, and `idleTimeoutMs` checks every key: a
   * batch walks the whole state when an operator follows or a timeout is set (`mapWithState` emits
   * only what its function returns).
   *
   * State is checkpointed with the batch's offsets in one atomic commit: exactly once.
   * Treat states as immutable values: return a new object rather than mutating the old one.
   */
  updateStateByKey<K, V, S>(
    this: Stream<readonly [K, V]>,
    update: (values: V[], state: S | undefined) => S | undefined,
    options: UpdateStateOptions<S> = {},
  ): Stream<[K, S]> {
    const id = statefulId('updateStateByKey', options.name, `state-${this.ops.filter((op) => op.kind === 'updateStateByKey').length}`, this.ops);
    const idleTimeoutMs = options.idleTimeoutMs;
    if (idleTimeoutMs !== undefined && !(Number.isFinite(idleTimeoutMs) && idleTimeoutMs > 0)) {
      throw new ConfigError('updateStateByKey.idleTimeoutMs', `must be a positive number of milliseconds (given ${idleTimeoutMs})`);
    }
    return this.#append({
      kind: 'updateStateByKey',
      id,
      ...(options.name === undefined ? { unnamed: true } : {}),
      update: update as (values: unknown[], state: unknown) => unknown,
      merge: options.merge as ((a: unknown, b: unknown) => unknown) | undefined,
      idleTimeoutMs,
    });
  }

  /**
   * Keeps a state per key with a function that sees every value, like Spark's `mapWithState`:
   * `fn(key, value, state)` may read, `update` or `remove` the key's state and returns what to emit
   * (`undefined`: nothing). With `idleTimeoutMs`, a key idle that long gets one last call with
   * `state.isTimingOut()` and is removed — how sessions are closed. State commits with the offsets.
   *
   * @example
   * clicks.mapWithState<string, Click, Session, Session>((user, click, state) => {
   *   if (state.isTimingOut()) return state.get(); // the session ended: emit it
   *   state.update(extend(state.getOption(), click!));
   *   return undefined;
   * }, { idleTimeoutMs: 30 * 60_000 })
   */
  mapWithState<K, V, S, U>(this: Stream<readonly [K, V]>, fn: MappingFunction<K, V, S, U>, spec: StateSpec<K, V, S> = {}): Stream<U> {
    return this.#append(
      mapWithStateOp(fn as unknown as MappingFunction<unknown, unknown, unknown, unknown>, spec as unknown as StateSpec<unknown, unknown, unknown>, this.ops),
    );
  }

  /**
   * Groups elements into time windows (tumbling, or sliding with `slideMs`) by arrival time or
   * `eventTime`, and emits each window once the watermark passes its end plus `allowedLatenessMs`:
   * one `{ startMs, endMs, value }` per window, `value` holding its elements, oldest slide first.
   * Elements whose windows had all been emitted go to `onLate`. Like Spark's `window`.
   */
  window(options: WindowOptions<T>): Stream<Windowed<T[]>> {
    return this.#append({ kind: 'window', ...windowSpec('window', options as WindowOptions<never>, this.ops) });
  }

  /**
   * Reduces the values of each key over time windows, like Spark's `reduceByKeyAndWindow`: one
   * `{ startMs, endMs, value: [[key, reduction], ...] }` per window. `reduce` must be associative and
   * commutative; with an `inverse` a sliding window is updated from the previous one instead of
   * reduced again. Timing and lateness as in {@link window}.
   *
   * @example
   * words.map((w) => [w, 1]).reduceByKeyAndWindow((a, b) => a + b, { windowMs: 10_000, slideMs: 2_000, inverse: (a, b) => a - b })
   */
  reduceByKeyAndWindow<K, V>(this: Stream<readonly [K, V]>, reduce: (a: V, b: V) => V, options: ReduceWindowOptions<K, V>): Stream<Windowed<Array<[K, V]>>> {
    return this.#reduceWindow('reduceByKeyAndWindow', reduce, options);
  }

  /**
   * Counts each distinct element over time windows, like Spark's `countByValueAndWindow`: one
   * `{ startMs, endMs, value: [[element, count], ...] }` per window, elements with no occurrence in
   * the window left out. A sliding window is updated from the previous one (counts are invertible).
   * Options, timing and lateness as in {@link window}; `eventTime` and `onLate` see the elements.
   *
   * @example
   * words.countByValueAndWindow({ windowMs: 30_000, slideMs: 10_000, name: 'recent-words' })
   */
  countByValueAndWindow(options: WindowOptions<T>): Stream<Windowed<Array<[T, number]>>> {
    return this.map((x): [T, number] => [x, 1]).#reduceWindow('countByValueAndWindow', (a: number, b: number) => a + b, {
      ...onPairs(options, (pair: readonly [T, number]) => pair[0]),
      inverse: (a, b) => a - b,
    });
  }

  /**
   * Reduces all the elements of each time window to one, like Spark's `reduceByWindow`: one
   * `{ startMs, endMs, value: reduction }` per window that holds elements (an empty window emits
   * nothing, as Spark's empty RDD gives no element). `reduce` must be associative and commutative;
   * `inverse`, when given, updates a sliding window from the previous one as in
   * {@link reduceByKeyAndWindow}. Options, timing and lateness as in {@link window}.
   *
   * @example
   * latencies.reduceByWindow((a, b) => Math.max(a, b), { windowMs: 60_000, slideMs: 10_000, name: 'max-latency' })
   */
  reduceByWindow<U>(this: Stream<U>, reduce: (a: U, b: U) => U, options: ReduceByWindowOptions<U>): Stream<Windowed<U>> {
    const { inverse, ...rest } = options;
    return this.map((x): [string, U] => ['', x])
      .#reduceWindow('reduceByWindow', reduce, { ...onPairs(rest, (pair: readonly [string, U]) => pair[1]), ...(inverse === undefined ? {} : { inverse }) })
      .filter((w) => w.value.length > 0)
      .map((w) => ({ startMs: w.startMs, endMs: w.endMs, value: w.value[0]![1] }));
  }

  /** Counts the elements of each time window, like Spark's `countByWindow`: `{ startMs, endMs, value: count }`, zeros included. */
  countByWindow(options: WindowOptions<T>): Stream<Windowed<number>> {
    return this.#append({ kind: 'countByWindow', ...windowSpec('countByWindow', options as WindowOptions<never>, this.ops) });
  }

  /**
   * From here on, by key: ends the stage and sends every element to the partition of an exchange
   * that owns its key (`key(x)`, or the first item of a `[key, value]` pair), like Flink's `keyBy`
   * or a Kafka Streams repartition topic. What follows runs on those partitions with ordinary
   * per-partition state, which is now global per key: one `updateStateByKey` total, one window,
   * per key across every source shard. Exactly once across the exchange (docs/decisions/0015).
   *
   * When the next operator is `reduceByKey` or `countByValue`, each batch is pre-aggregated before
   * it is sent (Spark's map-side combine): one element per key and batch crosses the exchange.
   *
   * @example
   * pipeline('word-count').flatMap((l) => l.split(' ')).keyBy((w) => w).countByValue().updateStateByKey(sum)
   */
  keyBy(key?: (x: T) => unknown, options: ExchangeOptions = {}): Stream<T> {
    const partitions = options.partitions ?? DEFAULT_EXCHANGE_PARTITIONS;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1_024) {
      throw new ConfigError('keyBy.partitions', `must be an integer from 1 to 1024 (given ${partitions})`);
    }
    if (key !== undefined && typeof key !== 'function') throw new ConfigError('keyBy.key', 'must be a function');
    return this.#append({ kind: 'exchange', mode: 'key', key: key as ((x: unknown) => unknown) | undefined, partitions, combine: options.combine ?? true });
  }

  /**
   * Ends the stage and sends every element to one owner: for small final steps over the whole
   * stream, such as the top 10 of each window gathered from every partition. Map-side combine as
   * for {@link keyBy}.
   */
  global(options: Pick<ExchangeOptions, 'combine'> = {}): Stream<T> {
    return this.#append({ kind: 'exchange', mode: 'global', key: undefined, partitions: 1, combine: options.combine ?? true });
  }

  /** Rewrites the whole batch at once, like Spark's `transform` (sorting, top-k, joins with tables). */
  transform<U>(fn: (items: T[]) => U[]): Stream<U> {
    return this.#append({ kind: 'transform', fn: fn as (items: unknown[]) => unknown[] });
  }

  /** Prints the first `n` elements of every batch (to the terminal locally, to the log on Lambda). */
  print(n = DEFAULT_PRINT_COUNT): Stream<T> {
    if (!Number.isInteger(n) || n < 1) throw new ConfigError('print.n', `must be an integer ≥ 1 (given ${n})`);
    return this.#append({ kind: 'print', id: this.#outputId('print'), n });
  }

  /**
   * Hands every batch's elements to `fn` before the batch commits. A crash re-runs the batch with the
   * same elements and the same `info.batchId`, so `fn` must be idempotent per `batchId`.
   */
  foreachBatch(fn: (items: T[], info: BatchInfo) => void | Promise<void>): Stream<T> {
    return this.#append({ kind: 'foreachBatch', id: this.#outputId('foreachBatch'), fn: fn as (items: unknown[], info: BatchInfo) => void });
  }

  /** The `reduceByKeyAndWindow` operator, its options checked under the name of `kind`. */
  #reduceWindow<K, V>(kind: string, reduce: (a: V, b: V) => V, options: ReduceWindowOptions<K, V>): Stream<Windowed<Array<[K, V]>>> {
    if (options.inverse !== undefined && typeof options.inverse !== 'function') throw new ConfigError(`${kind}.inverse`, 'must be a function');
    return this.#append({
      kind: 'reduceByKeyAndWindow',
      ...windowSpec(kind, options as WindowOptions<never>, this.ops),
      reduce: reduce as (a: unknown, b: unknown) => unknown,
      inverse: options.inverse as ((a: unknown, b: unknown) => unknown) | undefined,
    });
  }

  #outputId(kind: string): string {
    return `${kind}-${this.ops.filter((op) => op.kind === 'print' || op.kind === 'foreachBatch').length}`;
  }

  #append<U>(op: OpSpec): Stream<U> {
    return new Stream<U>(this.definition, [...this.ops, op]);
  }
}

/**
 * Window options over elements, for the pairs an operator built on `reduceByKeyAndWindow` windows
 * (`elementOf` finds the element in one): `eventTime` and `onLate` still see the elements.
 */
function onPairs<T, P>(options: WindowOptions<T>, elementOf: (pair: P) => T): WindowOptions<P> {
  const { eventTime, onLate, ...rest } = options;
  return {
    ...rest,
    ...(eventTime === undefined ? {} : { eventTime: (pair: P, arrivalMs: number) => eventTime(elementOf(pair), arrivalMs) }),
    ...(onLate === undefined
      ? {}
      : {
          onLate: (records: Array<LateRecord<P>>, info: BatchInfo) =>
            onLate(
              records.map((r) => ({ ...r, value: elementOf(r.value) })),
              info,
            ),
        }),
  };
}

/** Options of {@link Stream.keyBy} and {@link Stream.global}. */
export interface ExchangeOptions {
  /**
   * Partitions of the exchange: how many owners the keys are spread over (on AWS, the shards of the
   * exchange stream).
   * @default 4
   */
  readonly partitions?: number;
  /**
   * Pre-aggregate each batch before sending when the next operator is `reduceByKey` or
   * `countByValue` (map-side combine). Off, every element crosses the exchange.
   * @default true
   */
  readonly combine?: boolean;
}

/** Partitions of an exchange when `keyBy` is not told. */
export const DEFAULT_EXCHANGE_PARTITIONS = 4;

/** The pipeline's identity and input settings, shared by every stream derived from it. */
export interface PipelineDefinition {
  readonly name: string;
  readonly input: InputFormat;
}

/** Options of {@link pipeline}. */
export interface PipelineOptions {
  /**
   * How record bytes become elements: `text` (UTF-8 string), `json` (parsed), `bytes` (Uint8Array).
   * A record that does not decode is quarantined.
   * @default 'text'
   */
  readonly input?: InputFormat;
}

/**
 * Starts a pipeline named `name`, whose elements are the decoded records of the source. The name
 * is the app's: it keys the checkpoints, the WAL and the metrics, so renaming a pipeline starts a
 * new app.
 *
 * @example
 * export default pipeline<{ user: string; page: string }>('clicks', { input: 'json' })
 *   .map((click) => click.page)
 *   .countByValue()
 *   .print(10);
 */
export function pipeline<T = string>(name: string, options: PipelineOptions = {}): Stream<T> {
  if (!isAppName(name)) {
    throw new ConfigError('pipeline.name', `${APP_NAME_RULE} (given ${JSON.stringify(name)})`);
  }
  const input = options.input ?? 'text';
  if (!['text', 'json', 'bytes'].includes(input)) {
    throw new ConfigError('pipeline.input', `must be 'text', 'json' or 'bytes' (given ${JSON.stringify(input)})`);
  }
  return new Stream<T>({ name, input }, []);
}
