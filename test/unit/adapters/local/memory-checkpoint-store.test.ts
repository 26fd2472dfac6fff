import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../../lib/adapters/local/memory-checkpoint-store';
import { FencedError, SluiceError } from '../../../../lib/core/errors';
import { MAX_TRANSACT_ITEMS } from '../../../../lib/ports/checkpoint-store';
import { describeCheckpointStoreContract } from '../../../helpers/checkpoint-store-contract';

describeCheckpointStoreContract('MemoryCheckpointStore', async () => ({ store: new MemoryCheckpointStore() }));

describe('MemoryCheckpointStore', () => {
  describe('transact', () => {
    it('rejects more than the item limit with a non-retryable SluiceError naming the limit', async () => {
      // Prepare
      const store = new MemoryCheckpointStore();
      const writes = Array.from({ length: MAX_TRANSACT_ITEMS + 1 }, (_, i) => ({ kind: 'put' as const, item: { pk: 'p', sk: `s${i}`, version: 1, data: '' } }));
      // Act
      const error = await store.transact(writes).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(SluiceError);
      expect(error).not.toBeInstanceOf(FencedError);
      expect((error as SluiceError).retryable).toBe(false);
      expect((error as SluiceError).message).toMatch(/at most 100/);
    });

    it('rejects duplicate items with a SluiceError naming both writes', async () => {
      // Prepare
      const store = new MemoryCheckpointStore();
      // Act
      const error = await store
        .transact([
          { kind: 'check', pk: 'p', sk: 's', condition: { absent: true } },
          { kind: 'delete', pk: 'p', sk: 's' },
        ])
        .catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(SluiceError);
      expect((error as SluiceError).message).toMatch(/multiple operations on one item: writes #0 and #1/);
    });

    it('rejects a version that is not a finite number', async () => {
      // Prepare
      const store = new MemoryCheckpointStore();
      // Act
      const put = store.transact([{ kind: 'put', item: { pk: 'p', sk: 's', version: Number.NaN, data: '' } }]);
      // Assess
      await expect(put).rejects.toThrow(/finite/);
    });
  });

  describe('close', () => {
    it('fails every later call', async () => {
      // Prepare
      const store = new MemoryCheckpointStore();
      // Act
      await store.close();
      // Assess
      await expect(store.get('p', 's')).rejects.toThrow(/closed/);
    });
  });
});
