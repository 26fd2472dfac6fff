import { ConfigError } from '../errors';
import type { EventTimeFn, MapWithStateOp, OpSpec } from '../pipeline/op-spec';
import type { KeyState } from './key-state';
import { nonNegative, statefulId } from './window-options';

/**
 * The function of `mapWithState`, Spark's mapping function: called once per value of a key, with
 * the key's {@link KeyState}, and once more with `value` `undefined` when the key times out
 * (`state.isTimingOut()`). What it returns is emitted; `undefined` emits nothing.
 */
export type MappingFunction<K, V, S, U> = (key: K, value: V | undefined, state: KeyState<S>) => U | undefined;

/** Options of `mapWithState`, Spark's `StateSpec`. */
export interface StateSpec<K, V, S> {
  /**
   * Removes a key that received no value for this long, after one last call with
   * `state.isTimingOut()`: batch time by default, event time with `eventTime`.
   * @default - keys never time out
   */
  readonly idleTimeoutMs?: number;
  /**
   * Measures idleness in event time (Structured Streaming's `EventTimeTimeout`): a key times out
   * when the watermark passes its latest time plus `idleTimeoutMs`, and values are applied in time
   * order within a batch. `arrivalMs` is the record's arrival time, to fall back on.
   * @default - processing time: the batch time (Spark's `mapWithState` timeout)
   */
  readonly eventTime?: (pair: readonly [K, V], arrivalMs: number) => number;
  /** With `eventTime`: the watermark is the largest time seen minus this. @default 0 */
  readonly maxOutOfOrdernessMs?: number;
  /**
   * Name of the operator's state in the checkpoint. Keep it stable across deployments.
   * @default - `mapWithState-N`, N counting the mapWithState operators from the start of the pipeline
   */
  readonly name?: string;
  /**
   * Combines the partial states that different shards hold for one key, when state is read across
   * shards (`sluice state dump`). Must be associative and commutative.
   * @default - reading a key held by several shards fails with a message asking for `merge`
   */
  readonly merge?: (a: S, b: S) => S;
}

/** Validates a state spec and builds the `mapWithState` operator. */
export function mapWithStateOp(
  fn: MappingFunction<unknown, unknown, unknown, unknown>,
  spec: StateSpec<unknown, unknown, unknown>,
  ops: readonly OpSpec[],
): MapWithStateOp {
  if (typeof fn !== 'function') throw new ConfigError('mapWithState.fn', `must be a function (given ${typeof fn})`);
  const id = statefulId('mapWithState', spec.name, `mapWithState-${ops.filter((op) => op.kind === 'mapWithState').length}`, ops);
  const idleTimeoutMs = spec.idleTimeoutMs;
  if (idleTimeoutMs !== undefined && !(Number.isSafeInteger(idleTimeoutMs) && idleTimeoutMs > 0)) {
    throw new ConfigError('mapWithState.idleTimeoutMs', `must be a positive integer of milliseconds (given ${idleTimeoutMs})`);
  }
  return {
    kind: 'mapWithState',
    id,
    ...(spec.name === undefined ? { unnamed: true } : {}),
    fn: fn as (key: unknown, value: unknown, state: unknown) => unknown,
    idleTimeoutMs,
    eventTime: spec.eventTime as EventTimeFn | undefined,
    maxOutOfOrdernessMs: nonNegative('mapWithState.maxOutOfOrdernessMs', spec.maxOutOfOrdernessMs ?? 0),
    merge: spec.merge as ((a: unknown, b: unknown) => unknown) | undefined,
  };
}
