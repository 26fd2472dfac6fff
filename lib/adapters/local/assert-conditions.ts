import { FencedError, type ConditionFailure } from '../../core/errors';
import type { TransactWrite, WriteCondition } from '../../ports/checkpoint-store';

/**
 * Checks the condition of every write against the versions currently stored and throws one
 * {@link FencedError} listing every failed condition, like a cancelled DynamoDB transaction.
 *
 * All conditions are evaluated before any write is applied, and the caller applies nothing when
 * this throws: that is what makes a commit all-or-nothing.
 *
 * @param readVersion the stored version of an item, or `undefined` when it does not exist.
 */
export function assertConditions(writes: readonly TransactWrite[], readVersion: (pk: string, sk: string) => number | undefined): void {
  const failures: ConditionFailure[] = [];
  writes.forEach((write, index) => {
    if (write.condition === undefined) return;
    const { pk, sk } = write.kind === 'put' ? write.item : write;
    const actualVersion = readVersion(pk, sk);
    if (!holds(write.condition, actualVersion)) failures.push({ index, pk, sk, actualVersion });
  });
  if (failures.length > 0) {
    const details = failures.map(
      (f) =>
        `#${f.index} ${f.pk} / ${f.sk} expected ${describe(writes[f.index]!.condition!)}, found ${f.actualVersion === undefined ? 'no item' : `version ${f.actualVersion}`}`,
    );
    throw new FencedError(`transaction cancelled: ${failures.length} condition(s) failed: ${details.join('; ')}`, { reasons: failures });
  }
}

function holds(condition: WriteCondition, actualVersion: number | undefined): boolean {
  return 'absent' in condition ? actualVersion === undefined : actualVersion === condition.version;
}

function describe(condition: WriteCondition): string {
  return 'absent' in condition ? 'no item' : `version ${condition.version}`;
}
