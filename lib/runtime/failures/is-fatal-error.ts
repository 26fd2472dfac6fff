import { ConfigError, CorruptDataError, GraphMismatchError, StateLimitError } from '../../core/errors';

/**
 * True for errors no retry and no quarantine can fix: a configuration out of range, a pipeline that
 * does not match its checkpoint, stored data that does not decode, a state too big for the
 * process's memory. An operator must act; retrying would spin and quarantining records would throw
 * good data away.
 */
export function isFatalError(error: unknown): boolean {
  return error instanceof ConfigError || error instanceof GraphMismatchError || error instanceof CorruptDataError || error instanceof StateLimitError;
}
