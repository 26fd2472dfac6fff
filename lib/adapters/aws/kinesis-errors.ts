import { ThrottledError } from '../../core/errors';

/** Kinesis errors that mean "slow down": shard read/write limits, control-plane and KMS rate limits. */
const THROTTLE_ERRORS = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException', 'KMSThrottlingException']);

/**
 * Translates a Kinesis throttle (once the SDK's own retries are spent) into a retryable
 * `ThrottledError`; returns any other error unchanged.
 */
export function translateKinesisError(error: unknown): unknown {
  if (error instanceof Error && THROTTLE_ERRORS.has(error.name)) {
    return new ThrottledError(`Kinesis ${error.name}: ${error.message}`, { cause: error });
  }
  return error;
}
