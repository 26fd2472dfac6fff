import { SluiceError } from '../../core/errors';
import { MAX_TRANSACT_ITEMS, type TransactWrite } from '../../ports/checkpoint-store';

/**
 * Rejects a transaction DynamoDB would reject before looking at any item: more than
 * {@link MAX_TRANSACT_ITEMS} writes, two writes to one item, an empty key or a version that is
 * not a finite number. Local backends call it first, so tests catch what the cloud would refuse.
 *
 * @throws SluiceError (not retryable) naming the rule and the offending write.
 */
export function validateTransactWrites(writes: readonly TransactWrite[]): void {
  if (writes.length > MAX_TRANSACT_ITEMS) {
    throw new SluiceError(
      `transaction has ${writes.length} writes; at most ${MAX_TRANSACT_ITEMS} are allowed in one transaction (DynamoDB TransactWriteItems limit)`,
    );
  }
  const seen = new Map<string, number>();
  writes.forEach((write, index) => {
    const { pk, sk } = write.kind === 'put' ? write.item : write;
    if (pk === '' || sk === '') throw new SluiceError(`write #${index} has an empty ${pk === '' ? 'pk' : 'sk'}; key attributes must be non-empty strings`);
    if (write.kind === 'put' && !Number.isFinite(write.item.version)) {
      throw new SluiceError(`write #${index} (${pk} / ${sk}) has version ${write.item.version}; versions must be finite numbers`);
    }
    if (write.condition !== undefined && 'version' in write.condition && !Number.isFinite(write.condition.version)) {
      throw new SluiceError(`write #${index} (${pk} / ${sk}) is conditioned on version ${write.condition.version}; versions must be finite numbers`);
    }
    // A JSON pair cannot collide the way a joined string could when keys contain the separator.
    const id = JSON.stringify([pk, sk]);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new SluiceError(`transaction request cannot include multiple operations on one item: writes #${first} and #${index} both target ${pk} / ${sk}`);
    }
    seen.set(id, index);
  });
}
