import { DEFAULT_RATE_BURST_SECONDS } from '../../core/defaults';
import { TokenBucket } from '../../core/rate/token-bucket';
import type { RateGate } from '../protocol/micro-batch-processor';

/**
 * The processor's rate gate: a token bucket per shard whose state travels in the checkpoint item
 * (and the WAL header), so every invocation of a shard draws on one allowance.
 *
 * @param burstSeconds bucket size in seconds of the rate. @default DEFAULT_RATE_BURST_SECONDS
 */
export function tokenBucketGate(burstSeconds = DEFAULT_RATE_BURST_SECONDS): RateGate {
  return ({ limiter, nowMs, wanted, ratePerSec }) => {
    // A schedule's state (the shard ran on Lambda before) is no bucket: the bucket starts full.
    const { granted, state } = TokenBucket.take(limiter !== undefined && 'tokens' in limiter ? limiter : undefined, nowMs, wanted, ratePerSec, burstSeconds);
    return { granted, limiter: state };
  };
}
