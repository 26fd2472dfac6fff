import type { CancellationReason } from '@aws-sdk/client-dynamodb';
import { FencedError, ThrottledError, type ConditionFailure } from '../../core/errors';
import type { TransactWrite } from '../../ports/checkpoint-store';

/** DynamoDB errors that mean "slow down and try again"; the SDK has already retried them. */
const THROTTLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'TransactionConflictException',
  'TransactionInProgressException',
]);

/** Cancellation reason codes that say the transaction lost a race or a rate limit, not a condition. */
const RETRYABLE_CANCEL_CODES = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/**
 * Translates what a DynamoDB call threw into sluice's errors, or returns it unchanged.
 *
 * A cancelled transaction with any `ConditionalCheckFailed` reason is a `FencedError` listing each
 * failed write with the version DynamoDB found (from the `ALL_OLD` item); conditions decide before
 * conflicts, since a retry of a fenced write can never succeed. Conflicts and throttling become a
 * retryable `ThrottledError`. Anything else (validation, access, network) is rethrown as is.
 */
export function translateDynamoDbError(error: unknown, writes: readonly TransactWrite[] = []): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
    const failures = conditionFailures(reasons, writes);
    if (failures.length > 0) {
      const described = failures.map((f) => `#${f.index} ${f.pk}/${f.sk} (found ${f.actualVersion ?? 'no item'})`).join(', ');
      return new FencedError(`transaction cancelled: condition failed on ${described}`, { reasons: failures, cause: error });
    }
    if (reasons.some((r) => RETRYABLE_CANCEL_CODES.has(r.Code ?? ''))) {
      return new ThrottledError(`transaction cancelled by a conflict or throttling: ${error.message}`, { cause: error });
    }
    return error;
  }
  if (THROTTLE_ERRORS.has(error.name)) {
    return new ThrottledError(`DynamoDB ${error.name}: ${error.message}`, { cause: error });
  }
  return error;
}

function conditionFailures(reasons: readonly CancellationReason[], writes: readonly TransactWrite[]): ConditionFailure[] {
  const failures: ConditionFailure[] = [];
  reasons.forEach((reason, index) => {
    const write = writes[index];
    if (reason.Code !== 'ConditionalCheckFailed' || write === undefined) return;
    const key = write.kind === 'put' ? write.item : write;
    const found = reason.Item?.version?.N;
    failures.push({ index, pk: key.pk, sk: key.sk, actualVersion: found === undefined ? undefined : Number(found) });
  });
  return failures;
}
