/**
 * The state of one key inside a `mapWithState` function, as in Spark's `State[S]`: read it, replace
 * it, or remove it. Changes take effect when the batch commits, atomically with its offsets.
 */
export interface KeyState<S> {
  /** True when the key has a state (before this call, or set by `update` in it). */
  exists(): boolean;
  /** The state; throws when there is none (check {@link exists}, or use {@link getOption}). */
  get(): S;
  getOption(): S | undefined;
  /** Replaces the state. Throws while timing out: a timed-out key's state is removed. */
  update(state: S): void;
  remove(): void;
  /** True when the function is called because the key was idle for the timeout (then `value` is `undefined`). */
  isTimingOut(): boolean;
  /**
   * The time of the value being applied, like Flink's `Context.timestamp()`: its event time with
   * `eventTime`, else the batch time. While timing out, the time that timed the key out (the
   * watermark, or the batch time).
   */
  timestampMs(): number;
}

/** The {@link KeyState} handed to one key's calls within a batch. */
export class KeyStateHandle<S> implements KeyState<S> {
  #value: S | undefined;
  #exists: boolean;
  #changed = false;
  readonly #timingOut: boolean;
  /** Set by the operator before each call. */
  timeMs: number;

  constructor(value: S | undefined, exists: boolean, timingOut: boolean, timeMs: number) {
    this.#value = value;
    this.#exists = exists;
    this.#timingOut = timingOut;
    this.timeMs = timeMs;
  }

  exists(): boolean {
    return this.#exists;
  }

  get(): S {
    if (!this.#exists) throw new TypeError('this key has no state: check state.exists() or use state.getOption()');
    return this.#value as S;
  }

  getOption(): S | undefined {
    return this.#exists ? this.#value : undefined;
  }

  update(state: S): void {
    if (this.#timingOut) throw new TypeError('cannot update the state of a key that is timing out');
    if (state === undefined) throw new TypeError('state.update(undefined): use state.remove() to remove a key');
    this.#value = state;
    this.#exists = true;
    this.#changed = true;
  }

  remove(): void {
    this.#value = undefined;
    this.#exists = false;
    this.#changed = true;
  }

  isTimingOut(): boolean {
    return this.#timingOut;
  }

  timestampMs(): number {
    return this.timeMs;
  }

  /** True when `update` or `remove` was called. */
  get changed(): boolean {
    return this.#changed;
  }
}
