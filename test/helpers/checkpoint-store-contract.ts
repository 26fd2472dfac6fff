import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FencedError } from '../../lib/core/errors';
import { MAX_TRANSACT_ITEMS, type CheckpointStore, type StoredItem, type TransactWrite, type WriteCondition } from '../../lib/ports/checkpoint-store';

/** What a backend's factory hands the contract: a fresh store and how to dispose of it. */
export interface CheckpointStoreFixture {
  readonly store: CheckpointStore;
  /** Runs after `store.close()`; removes temp directories, tables, ... */
  readonly cleanup?: () => Promise<void>;
}

/**
 * The behaviour every {@link CheckpointStore} backend must show: conditions, atomicity, failure
 * reports, prefix queries, limits and races. Memory, SQLite and DynamoDB run the same cases.
 *
 * Each test writes under its own random partition key, so a backend may share one table between
 * tests. After each test the contract calls `store.close()` (when defined), then `cleanup()`.
 *
 * @example
 * describeCheckpointStoreContract('MemoryCheckpointStore', async () => ({ store: new MemoryCheckpointStore() }));
 */
export function describeCheckpointStoreContract(name: string, create: () => Promise<CheckpointStoreFixture>): void {
  describe(name, () => {
    let store: CheckpointStore;
    let cleanup: (() => Promise<void>) | undefined;
    let pk: string;

    beforeEach(async () => {
      ({ store, cleanup } = await create());
      pk = `contract-${randomUUID()}`;
    });

    afterEach(async () => {
      await store.close?.();
      await cleanup?.();
    });

    const item = (sk: string, version: number, data = `data of ${sk} v${version}`): StoredItem => ({ pk, sk, version, data });
    const put = (it: StoredItem, condition?: WriteCondition): TransactWrite =>
      condition === undefined ? { kind: 'put', item: it } : { kind: 'put', item: it, condition };
    const fenced = async (writes: TransactWrite[]): Promise<FencedError> => {
      const error = await store.transact(writes).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FencedError);
      return error as FencedError;
    };

    describe('get', () => {
      it('returns undefined for an item that does not exist', async () => {
        // Act
        const got = await store.get(pk, 'missing');
        // Assess
        expect(got).toBeUndefined();
      });

      it('returns an item exactly as it was put', async () => {
        // Prepare
        const written = item('checkpoint', 7, JSON.stringify({ batchNo: 7, text: 'héllo wörld ✓ 😀', nested: [1, 2] }));
        await store.transact([put(written)]);
        // Act
        const got = await store.get(pk, 'checkpoint');
        // Assess
        expect(got).toEqual(written);
      });

      it('round-trips an empty data string, version 0 and a large safe-integer version', async () => {
        // Prepare
        await store.transact([put(item('empty', 0, '')), put(item('big', Number.MAX_SAFE_INTEGER))]);
        // Act
        const [empty, big] = await Promise.all([store.get(pk, 'empty'), store.get(pk, 'big')]);
        // Assess
        expect(empty).toEqual(item('empty', 0, ''));
        expect(big?.version).toBe(Number.MAX_SAFE_INTEGER);
      });

      it('round-trips 100 KB of data', async () => {
        // Prepare
        const data = 'x'.repeat(50_000) + 'é'.repeat(25_000);
        await store.transact([put(item('large', 1, data))]);
        // Act
        const got = await store.get(pk, 'large');
        // Assess
        expect(got?.data).toBe(data);
      });

      it('keeps partitions apart', async () => {
        // Prepare
        await store.transact([put(item('checkpoint', 1)), put({ pk: `${pk}-other`, sk: 'checkpoint', version: 2, data: 'other' })]);
        // Act
        const got = await store.get(pk, 'checkpoint');
        // Assess
        expect(got?.version).toBe(1);
      });

      it('returns copies: mutating an item put or got does not change the store', async () => {
        // Prepare
        const written = { ...item('checkpoint', 1, 'original') };
        await store.transact([put(written)]);
        const got = (await store.get(pk, 'checkpoint')) as { version: number; data: string };
        // Act
        Object.assign(written, { version: 99, data: 'changed after put' });
        got.version = 98;
        got.data = 'changed after get';
        // Assess
        expect(await store.get(pk, 'checkpoint')).toEqual(item('checkpoint', 1, 'original'));
      });
    });

    describe('transact', () => {
      it('overwrites an item when a put has no condition', async () => {
        // Prepare
        await store.transact([put(item('checkpoint', 1))]);
        // Act
        await store.transact([put(item('checkpoint', 5, 'new'))]);
        // Assess
        expect(await store.get(pk, 'checkpoint')).toEqual(item('checkpoint', 5, 'new'));
      });

      it('creates an item conditioned on being absent', async () => {
        // Act
        await store.transact([put(item('checkpoint', 1), { absent: true })]);
        // Assess
        expect(await store.get(pk, 'checkpoint')).toEqual(item('checkpoint', 1));
      });

      it('rejects a put conditioned on absence when the item exists, reporting its version', async () => {
        // Prepare
        await store.transact([put(item('checkpoint', 3))]);
        // Act
        const error = await fenced([put(item('checkpoint', 4), { absent: true })]);
        // Assess
        expect(error.reasons).toEqual([{ index: 0, pk, sk: 'checkpoint', actualVersion: 3 }]);
        expect(await store.get(pk, 'checkpoint')).toEqual(item('checkpoint', 3));
      });

      it('replaces an item conditioned on its current version', async () => {
        // Prepare
        await store.transact([put(item('checkpoint', 3))]);
        // Act
        await store.transact([put(item('checkpoint', 4), { version: 3 })]);
        // Assess
        expect(await store.get(pk, 'checkpoint')).toEqual(item('checkpoint', 4));
      });

      it('matches a condition on version 0', async () => {
        // Prepare
        await store.transact([put(item('checkpoint', 0))]);
        // Act
        await store.transact([put(item('checkpoint', 1), { version: 0 })]);
        // Assess
        expect((await store.get(pk, 'checkpoint'))?.version).toBe(1);
      });

      it('rejects a put conditioned on a version the item does not have', async () => {
        // Prepare
        await store.transact([put(item('checkpoint', 3))]);
        // Act
        const error = await fenced([put(item('checkpoint', 5), { version: 4 })]);
        // Assess
        expect(error.reasons).toEqual([{ index: 0, pk, sk: 'checkpoint', actualVersion: 3 }]);
        expect(await store.get(pk, 'checkpoint')).toEqual(item('checkpoint', 3));
      });

      it('rejects a put conditioned on a version when the item does not exist', async () => {
        // Act
        const error = await fenced([put(item('checkpoint', 1), { version: 0 })]);
        // Assess
        expect(error.reasons).toEqual([{ index: 0, pk, sk: 'checkpoint', actualVersion: undefined }]);
        expect(await store.get(pk, 'checkpoint')).toBeUndefined();
      });

      it('applies other writes when a check-only write holds, leaving the checked item unchanged', async () => {
        // Prepare
        await store.transact([put(item('control', 2, 'rate=100'))]);
        // Act
        await store.transact([{ kind: 'check', pk, sk: 'control', condition: { version: 2 } }, put(item('checkpoint', 1), { absent: true })]);
        // Assess
        expect(await store.get(pk, 'control')).toEqual(item('control', 2, 'rate=100'));
        expect(await store.get(pk, 'checkpoint')).toEqual(item('checkpoint', 1));
      });

      it('rejects the whole transaction when a check-only write fails', async () => {
        // Prepare
        await store.transact([put(item('control', 2))]);
        // Act
        const error = await fenced([put(item('checkpoint', 1), { absent: true }), { kind: 'check', pk, sk: 'control', condition: { absent: true } }]);
        // Assess
        expect(error.reasons).toEqual([{ index: 1, pk, sk: 'control', actualVersion: 2 }]);
        expect(await store.get(pk, 'checkpoint')).toBeUndefined();
      });

      it('deletes an item conditioned on its version', async () => {
        // Prepare
        await store.transact([put(item('bucket#1', 4))]);
        // Act
        await store.transact([{ kind: 'delete', pk, sk: 'bucket#1', condition: { version: 4 } }]);
        // Assess
        expect(await store.get(pk, 'bucket#1')).toBeUndefined();
      });

      it('rejects a delete conditioned on another version and keeps the item', async () => {
        // Prepare
        await store.transact([put(item('bucket#1', 4))]);
        // Act
        const error = await fenced([{ kind: 'delete', pk, sk: 'bucket#1', condition: { version: 3 } }]);
        // Assess
        expect(error.reasons).toEqual([{ index: 0, pk, sk: 'bucket#1', actualVersion: 4 }]);
        expect(await store.get(pk, 'bucket#1')).toEqual(item('bucket#1', 4));
      });

      it('treats an unconditional delete of a missing item as done', async () => {
        // Act
        await store.transact([{ kind: 'delete', pk, sk: 'never-written' }]);
        // Assess
        expect(await store.get(pk, 'never-written')).toBeUndefined();
      });

      it('resolves without effect when given no writes', async () => {
        // Act
        await store.transact([]);
        // Assess
        expect(await store.query(pk)).toEqual([]);
      });

      it('applies nothing when one condition fails and reports every failed condition', async () => {
        // Prepare
        await store.transact([put(item('a', 1)), put(item('b', 1)), put(item('e', 1))]);
        // Act
        const error = await fenced([
          put(item('a', 2), { version: 1 }),
          put(item('b', 2), { version: 5 }),
          put(item('c', 1), { absent: true }),
          { kind: 'check', pk, sk: 'd', condition: { version: 3 } },
          { kind: 'delete', pk, sk: 'e', condition: { version: 1 } },
        ]);
        // Assess
        expect(error.reasons).toEqual([
          { index: 1, pk, sk: 'b', actualVersion: 1 },
          { index: 3, pk, sk: 'd', actualVersion: undefined },
        ]);
        expect(await store.query(pk)).toEqual([item('a', 1), item('b', 1), item('e', 1)]);
      });

      it(`applies ${MAX_TRANSACT_ITEMS} writes in one transaction`, async () => {
        // Prepare
        const writes = Array.from({ length: MAX_TRANSACT_ITEMS }, (_, i) => put(item(`bucket#${String(i).padStart(3, '0')}`, 1), { absent: true }));
        // Act
        await store.transact(writes);
        // Assess
        expect(await store.query(pk, 'bucket#')).toHaveLength(MAX_TRANSACT_ITEMS);
      });

      it(`rejects more than ${MAX_TRANSACT_ITEMS} writes, naming the limit, and applies none`, async () => {
        // Prepare
        const writes = Array.from({ length: MAX_TRANSACT_ITEMS + 1 }, (_, i) => put(item(`bucket#${i}`, 1)));
        // Act
        const error = await store.transact(writes).then(
          () => undefined,
          (e: unknown) => e,
        );
        // Assess
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(FencedError);
        expect(String((error as Error).message)).toContain(String(MAX_TRANSACT_ITEMS));
        expect(await store.query(pk)).toEqual([]);
      });

      it('rejects two writes to the same item in one transaction and applies none', async () => {
        // Prepare
        await store.transact([put(item('checkpoint', 1))]);
        // Act
        const error = await store
          .transact([put(item('other', 1)), put(item('checkpoint', 2), { version: 1 }), { kind: 'check', pk, sk: 'checkpoint', condition: { version: 1 } }])
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        // Assess
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(FencedError);
        expect(await store.query(pk)).toEqual([item('checkpoint', 1)]);
      });

      it('rejects an empty partition or sort key', async () => {
        // Act: one at a time, so neither rejection is ever left without a handler.
        const emptySk = await store.transact([{ kind: 'put', item: { pk, sk: '', version: 1, data: 'x' } }]).then(
          () => undefined,
          (e: unknown) => e,
        );
        const emptyPk = await store.transact([{ kind: 'put', item: { pk: '', sk: 'x', version: 1, data: 'x' } }]).then(
          () => undefined,
          (e: unknown) => e,
        );
        // Assess
        expect(emptySk).toBeInstanceOf(Error);
        expect(emptyPk).toBeInstanceOf(Error);
        expect(await store.query(pk)).toEqual([]);
      });

      it('lets exactly one of 20 concurrent commits conditioned on the same version win', async () => {
        // Prepare
        await store.transact([put(item('checkpoint', 1))]);
        // Act
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.transact([put(item('checkpoint', 2, `writer ${i}`), { version: 1 }), put(item(`out#${i}`, 2))])),
        );
        // Assess
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason).toBeInstanceOf(FencedError);
            expect((r.reason as FencedError).reasons).toEqual([{ index: 0, pk, sk: 'checkpoint', actualVersion: 2 }]);
          }
        }
        expect(await store.get(pk, 'checkpoint')).toEqual(item('checkpoint', 2, `writer ${winners[0]}`));
        expect((await store.query(pk, 'out#')).map((i) => i.sk)).toEqual([`out#${winners[0]}`]);
      });
    });

    describe('query', () => {
      const sks = ['state#b#1', 'state#a#2', 'checkpoint', 'state#a', 'state#a#1', 'statf', 'state#', 'state#a#10'];

      beforeEach(async () => {
        await store.transact(sks.map((sk) => put(item(sk, 1))));
        await store.transact([put({ pk: `${pk}-other`, sk: 'state#a#9', version: 1, data: 'other partition' })]);
      });

      it('returns every item of the partition ordered by sort key when no prefix is given', async () => {
        // Act
        const items = await store.query(pk);
        // Assess
        expect(items.map((i) => i.sk)).toEqual(['checkpoint', 'state#', 'state#a', 'state#a#1', 'state#a#10', 'state#a#2', 'state#b#1', 'statf']);
        expect(items[0]).toEqual(item('checkpoint', 1));
      });

      it('returns only sort keys starting with the prefix, the prefix itself included', async () => {
        // Act
        const items = await store.query(pk, 'state#a');
        // Assess
        expect(items.map((i) => i.sk)).toEqual(['state#a', 'state#a#1', 'state#a#10', 'state#a#2']);
      });

      it('does not return the next prefix (state#a must not return state#b)', async () => {
        // Act
        const items = await store.query(pk, 'state#a#');
        // Assess
        expect(items.map((i) => i.sk)).toEqual(['state#a#1', 'state#a#10', 'state#a#2']);
      });

      it('returns an empty list when nothing matches', async () => {
        // Act
        const items = await store.query(pk, 'zzz');
        // Assess
        expect(items).toEqual([]);
      });

      it('treats SQL wildcard characters in the prefix literally', async () => {
        // Prepare
        await store.transact([put(item('w%x', 1)), put(item('w_x', 1)), put(item('wax', 1))]);
        // Act
        const [percent, underscore] = await Promise.all([store.query(pk, 'w%'), store.query(pk, 'w_')]);
        // Assess
        expect(percent.map((i) => i.sk)).toEqual(['w%x']);
        expect(underscore.map((i) => i.sk)).toEqual(['w_x']);
      });

      it('orders and matches characters outside the Basic Multilingual Plane like DynamoDB (by UTF-8 bytes)', async () => {
        // Prepare
        await store.transact([put(item('k\u{1F600}', 1)), put(item('k\uFFFF', 1)), put(item('k~', 1)), put(item('k\u{10FFFF}', 1))]);
        // Act
        const items = await store.query(pk, 'k');
        // Assess
        expect(items.map((i) => i.sk)).toEqual(['k~', 'k\uFFFF', 'k\u{1F600}', 'k\u{10FFFF}']);
      });
    });
  });
}
