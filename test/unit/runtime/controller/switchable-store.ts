import { ThrottledError } from '../../../../lib/core/errors';
import type { CheckpointStore, StoredItem, TransactWrite } from '../../../../lib/ports/checkpoint-store';
import type { Clock } from '../../../../lib/ports/clock';

/**
 * A checkpoint store that can be made to fail (every call throws a `ThrottledError`, as an
 * overloaded DynamoDB would) or to take time on a clock, around a real in-memory store.
 */
export class SwitchableStore implements CheckpointStore {
  failing = false;
  /** Time every call takes on `clock`, when one is given. */
  latencyMs = 0;
  calls = 0;

  constructor(
    readonly inner: CheckpointStore,
    readonly clock?: Clock,
  ) {}

  async get(pk: string, sk: string): Promise<StoredItem | undefined> {
    await this.#enter();
    return this.inner.get(pk, sk);
  }

  async query(pk: string, skPrefix?: string): Promise<StoredItem[]> {
    await this.#enter();
    return this.inner.query(pk, skPrefix);
  }

  async transact(writes: readonly TransactWrite[]): Promise<void> {
    await this.#enter();
    return this.inner.transact(writes);
  }

  async #enter(): Promise<void> {
    this.calls++;
    if (this.latencyMs > 0 && this.clock !== undefined) await this.clock.sleep(this.latencyMs);
    if (this.failing) throw new ThrottledError('injected: DynamoDB is throttling');
  }
}
