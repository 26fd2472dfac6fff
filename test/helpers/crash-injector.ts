import type { CheckpointStore, StoredItem, TransactWrite } from '../../lib/ports/checkpoint-store';
import type { ObjectStore } from '../../lib/ports/object-store';

/** Thrown by {@link CrashInjector}: the invocation dies here, as a Lambda timeout or `kill -9` would. */
export class InjectedCrash extends Error {
  constructor(readonly step: number, readonly where: string) {
    super(`injected crash at step ${step} (${where})`);
  }
}

/**
 * Wraps the two stores so that port call number `crashAt` (counting every call to either) throws,
 * either before reaching the store or after the store applied it. One crash per injector.
 */
export class CrashInjector {
  calls = 0;
  crashed = false;

  constructor(readonly crashAt: number, readonly when: 'before' | 'after') {}

  async #step<T>(where: string, call: () => Promise<T>): Promise<T> {
    const step = ++this.calls;
    if (this.crashed || step !== this.crashAt) return call();
    this.crashed = true;
    if (this.when === 'before') throw new InjectedCrash(step, `before ${where}`);
    await call();
    throw new InjectedCrash(step, `after ${where}`);
  }

  checkpoints(inner: CheckpointStore): CheckpointStore {
    return {
      get: (pk: string, sk: string) => this.#step('checkpoint get', () => inner.get(pk, sk)),
      query: (pk: string, prefix?: string) => this.#step('checkpoint query', (): Promise<StoredItem[]> => inner.query(pk, prefix)),
      transact: (writes: readonly TransactWrite[]) => this.#step('checkpoint transact', () => inner.transact(writes)),
    };
  }

  objects(inner: ObjectStore): ObjectStore {
    return {
      putIfAbsent: (key, body) => this.#step(`put ${key}`, () => inner.putIfAbsent(key, body)),
      get: (key) => this.#step(`get ${key}`, () => inner.get(key)),
      list: (prefix) => this.#step(`list ${prefix}`, () => inner.list(prefix)),
      delete: (key) => this.#step(`delete ${key}`, () => inner.delete(key)),
    };
  }
}
