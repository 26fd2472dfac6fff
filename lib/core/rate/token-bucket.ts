import { CorruptDataError } from '../errors';
import { checkRange } from './check-range';

/** A token bucket as stored in a shard's checkpoint item: plain JSON, no class instance. */
export interface TokenBucketState {
  /** Tokens (records) available at `updatedAtMs`; fractional, never negative. */
  readonly tokens: number;
  /** The latest time the bucket was refilled to (ms since the epoch); never moves backwards. */
  readonly updatedAtMs: number;
}

/** What {@link TokenBucket.take} returns: the records granted now and the state to store. */
export interface TokenBucketTake {
  readonly granted: number;
  readonly state: TokenBucketState;
}

/**
 * The static per-shard limit (`maxRatePerShard`): a pure token bucket whose state lives in the
 * checkpoint item, so every invocation of a shard, warm or cold, shares one allowance.
 *
 * Invariant: over any sequence of calls with one rate and burst, the records granted never exceed
 * `burst + rate × (latest time − first time)`. A clock that steps backwards refills nothing; a rate
 * change applies from the call that brings it and a smaller burst caps the stored tokens at once.
 */
export const TokenBucket = {
  /** A bucket holding one full burst at `nowMs`, so a new shard may start with a whole batch. */
  full(nowMs: number, ratePerSec: number, burstSeconds: number): TokenBucketState {
    return { tokens: capacity(ratePerSec, burstSeconds), updatedAtMs: nowMs };
  },

  /**
   * Refills for the time since the last call, then grants up to `wanted` whole records.
   *
   * @param state the stored state, or `undefined` for a new shard (a full bucket)
   * @param wanted records the batch would like to take (an integer ≥ 0)
   * @param ratePerSec refill rate, records per second (> 0, finite)
   * @param burstSeconds bucket size as seconds of refill (> 0)
   */
  take(state: TokenBucketState | undefined, nowMs: number, wanted: number, ratePerSec: number, burstSeconds: number): TokenBucketTake {
    checkRange('tokenBucket.wanted', wanted, { min: 0, integer: true });
    const cap = capacity(ratePerSec, burstSeconds);
    const from = state === undefined ? TokenBucket.full(nowMs, ratePerSec, burstSeconds) : checkState(state);
    // Only forward time refills, and the stamp never moves back, so a backwards step cannot refill twice.
    const elapsedMs = Math.max(0, nowMs - from.updatedAtMs);
    const tokens = Math.min(cap, from.tokens + (elapsedMs * ratePerSec) / 1000);
    const granted = Math.min(wanted, Math.floor(tokens));
    return { granted, state: { tokens: tokens - granted, updatedAtMs: Math.max(from.updatedAtMs, nowMs) } };
  },
} as const;

function capacity(ratePerSec: number, burstSeconds: number): number {
  checkRange('tokenBucket.ratePerSec', ratePerSec, { min: 0, minExclusive: true, max: Number.MAX_SAFE_INTEGER });
  checkRange('tokenBucket.burstSeconds', burstSeconds, { min: 0, minExclusive: true, max: 86_400 });
  return ratePerSec * burstSeconds;
}

function checkState(state: TokenBucketState): TokenBucketState {
  if (!Number.isFinite(state.tokens) || state.tokens < 0 || !Number.isFinite(state.updatedAtMs)) {
    throw new CorruptDataError('tokenBucket', `state must hold finite tokens ≥ 0 and a finite updatedAtMs (given ${JSON.stringify(state)})`);
  }
  return state;
}
