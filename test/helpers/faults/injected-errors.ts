import { ThrottledError } from '../../../lib/core/errors';

/**
 * The invocation dies here, as a Lambda timeout, an out-of-memory kill or `kill -9` would: nothing
 * it does afterwards reaches storage. Thrown by the fault injectors, never by sluice.
 */
export class InjectedCrash extends Error {
  constructor(
    readonly step: number,
    readonly where: string,
  ) {
    super(`injected crash at step ${step} (${where})`);
    this.name = 'InjectedCrash';
  }
}

/**
 * The invocation timed out while a request was in flight: the request may still land later, after
 * the invocation was given up. A kind of {@link InjectedCrash}: the invocation is dead.
 */
export class InjectedTimeout extends InjectedCrash {
  constructor(step: number, where: string) {
    super(step, `timeout in ${where}`);
    this.name = 'InjectedTimeout';
  }
}

/** The backend said "slow down", as the adapters report it once the SDK's own retries are spent. */
export function injectedThrottle(where: string): ThrottledError {
  return new ThrottledError(`injected throttle (${where})`);
}

/**
 * A 5xx the adapters do not translate: an SDK service error with `$fault: 'server'`, passed through
 * unchanged, as `InternalServerError` or `ServiceUnavailable` reach the processor.
 */
export function injectedServerError(where: string): Error {
  const error = new Error(`injected 500 InternalServerError (${where})`);
  error.name = 'InternalServerError';
  return Object.assign(error, { $fault: 'server', $metadata: { httpStatusCode: 500 } });
}

/** The user's sink failed (a foreachBatch throwing): an ordinary Error, as user code throws. */
export class InjectedSinkError extends Error {
  constructor(where: string) {
    super(`injected sink failure (${where})`);
    this.name = 'InjectedSinkError';
  }
}
