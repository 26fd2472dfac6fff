/** Every fault the injectors know, in the order reports list them. */
export const FAULT_KINDS = ['crash-before', 'crash-after', 'timeout', 'throttle', 'server-error', 'sink-error', 'stall', 'lost-response'] as const;

/**
 * - `crash-before` / `crash-after`: the invocation dies before the call reaches the port, or right
 *   after the port applied it (the response is lost). Every later call of the invocation fails.
 * - `timeout`: the invocation dies while the request is in flight; the request lands later, when
 *   the schedule releases it (a late write from a dead invocation).
 * - `throttle`, `server-error`: the call fails without reaching the port, as a throttle (retryable)
 *   or an untranslated 5xx; the invocation sees the error and may go on.
 * - `sink-error`: the user's sink throws (only drawn for sink calls).
 * - `stall`: the call waits until the schedule releases it, then goes on: a stale invocation that
 *   wakes up late, after others moved the shard on.
 * - `lost-response`: below the port, in the SDK (see {@link loseResponses}): the service applied the
 *   request, the response was lost, and the SDK retried it — a commit or WAL put that meets itself.
 */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The ports a {@link FaultInjector} wraps. */
export type PortName = 'checkpoints' | 'objects' | 'source' | 'sink' | 'metrics' | 'output';

/** One call through an injector, as a plan sees it before deciding. */
export interface PortCall {
  /** 1-based number of the call among every call through the injector. */
  readonly n: number;
  readonly port: PortName;
  /** The port method: `get`, `query`, `transact`, `putIfAbsent`, `read`, `foreachBatch`, ... */
  readonly op: string;
  /** What the call is about: an object key, a partition key, a shard, a batch id. */
  readonly target: string;
}

/** Decides the fault of a call, or none. Plans are pure functions of the call and their own seed. */
export type FaultPlan = (call: PortCall) => FaultKind | undefined;

/** No fault ever. */
export const noFaults: FaultPlan = () => undefined;

/** Crashes at call number `n` (counting every call through the injector), before or after it applies. */
export function crashAt(n: number, when: 'before' | 'after'): FaultPlan {
  return (call) => (call.n === n ? (when === 'before' ? 'crash-before' : 'crash-after') : undefined);
}

/**
 * Draws a fault for each call with the given probabilities per kind (their sum at most 1).
 * `sink-error` is drawn only for sink calls, which draw it instead of `throttle` and `server-error`;
 * metrics calls draw only crashes and `server-error` (an emitter that throws).
 *
 * @param random a seeded source of numbers in [0, 1), so a schedule replays from its seed
 */
export function randomFaults(random: () => number, rates: Partial<Record<FaultKind, number>>): FaultPlan {
  return (call) => {
    let draw = random();
    for (const kind of FAULT_KINDS) {
      const rate = rates[kind] ?? 0;
      if (!applies(kind, call.port)) continue;
      if (draw < rate) return kind;
      draw -= rate;
    }
    return undefined;
  };
}

/** Sinks fail as user code does (`sink-error`); metrics and print output only die or throw. */
function applies(kind: FaultKind, port: PortName): boolean {
  if (kind === 'lost-response') return false;
  if (kind === 'sink-error') return port === 'sink';
  if (port === 'metrics' || port === 'output') return kind === 'crash-before' || kind === 'crash-after' || kind === 'server-error';
  return port !== 'sink' || (kind !== 'throttle' && kind !== 'server-error');
}
