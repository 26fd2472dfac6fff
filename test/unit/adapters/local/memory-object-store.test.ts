import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../../lib/adapters/local/memory-object-store';
import { describeObjectStoreContract } from '../../../helpers/object-store-contract';

describeObjectStoreContract('MemoryObjectStore', async () => ({ store: new MemoryObjectStore() }));

describe('MemoryObjectStore', () => {
  describe('putIfAbsent', () => {
    it('copies a Buffer body rather than keeping a view of it', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const body = Buffer.from('original');
      await store.putIfAbsent('k', body);
      // Act
      body.fill(0);
      // Assess
      expect(Buffer.from((await store.get('k'))!).toString()).toBe('original');
    });

    it.each(['../escape', 'a//b', 'a/./b', '/abs', 'trailing/', 'nul\0byte', 'a/.sluice-tmp-x'])(
      'rejects the key %j the disk store would refuse',
      async (key) => {
        // Act
        const put = new MemoryObjectStore().putIfAbsent(key, new Uint8Array(1));
        // Assess
        await expect(put).rejects.toThrow(/invalid object key/);
      },
    );
  });
});
