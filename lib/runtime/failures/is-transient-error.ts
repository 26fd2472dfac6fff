import { SluiceError } from '../../core/errors';

/** Node's codes for a connection that failed on the way, not because of the request. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** SDK and fetch errors that say the request timed out or was aborted in flight. */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError']);

/**
 * True when an error says the infrastructure, not the batch, failed: throttling, a 5xx, a timeout,
 * a broken connection. Such a failure says nothing about the records, so it never counts towards
 * quarantining them; it is retried until the backend recovers.
 *
 * Recognizes sluice's retryable errors and the AWS SDK's error shape (`$retryable`, `$fault`,
 * `$metadata.httpStatusCode`) for what the adapters pass through untranslated.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof SluiceError) return error.retryable;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; code?: unknown; $retryable?: unknown; $fault?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (e.$retryable !== undefined || e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  return (typeof e.name === 'string' && TIMEOUT_NAMES.has(e.name)) || (typeof e.code === 'string' && NETWORK_CODES.has(e.code));
}
