import { SluiceError } from '../../core/errors';
import type { CheckpointStore, StoredItem, TransactWrite } from '../../ports/checkpoint-store';
import { assertConditions } from './assert-conditions';
import { compareCodePoints } from './compare-code-points';
import { validateTransactWrites } from './validate-transact-writes';

type Stored = { readonly version: number; readonly data: string };

/**
 * A {@link CheckpointStore} in a Map, for tests and simulations. Same semantics as the durable
 * backends (it passes the same contract): conditions, all-or-nothing commits, the 100-item limit,
 * duplicate writes rejected, prefix queries ordered by UTF-8 bytes.
 *
 * Every call copies items in and out, so a caller mutating an object it wrote or read cannot change
 * what the store holds. A transaction runs without awaiting, so it is atomic with respect to every
 * other call on the same instance.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly #partitions = new Map<string, Map<string, Stored>>();
  #closed = false;

  async get(pk: string, sk: string): Promise<StoredItem | undefined> {
    this.#assertOpen();
    const stored = this.#partitions.get(pk)?.get(sk);
    return stored === undefined ? undefined : { pk, sk, version: stored.version, data: stored.data };
  }

  async query(pk: string, skPrefix = ''): Promise<StoredItem[]> {
    this.#assertOpen();
    const partition = this.#partitions.get(pk);
    if (partition === undefined) return [];
    const items: StoredItem[] = [];
    for (const [sk, stored] of partition) {
      if (sk.startsWith(skPrefix)) items.push({ pk, sk, version: stored.version, data: stored.data });
    }
    return items.sort((a, b) => compareCodePoints(a.sk, b.sk));
  }

  async transact(writes: readonly TransactWrite[]): Promise<void> {
    this.#assertOpen();
    validateTransactWrites(writes);
    // Every condition is checked before the first write, so a failure leaves the store untouched.
    assertConditions(writes, (pk, sk) => this.#partitions.get(pk)?.get(sk)?.version);
    for (const write of writes) {
      if (write.kind === 'put') {
        const { pk, sk, version, data } = write.item;
        let partition = this.#partitions.get(pk);
        if (partition === undefined) this.#partitions.set(pk, (partition = new Map()));
        partition.set(sk, { version, data });
      } else if (write.kind === 'delete') {
        const partition = this.#partitions.get(write.pk);
        partition?.delete(write.sk);
        if (partition?.size === 0) this.#partitions.delete(write.pk);
      }
    }
  }

  /** Makes every later call fail, as a closed database connection does. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new SluiceError('MemoryCheckpointStore is closed');
  }
}
