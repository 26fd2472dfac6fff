import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskObjectStore } from '../../../../lib/adapters/local/disk-object-store';
import { describeObjectStoreContract } from '../../../helpers/object-store-contract';

describeObjectStoreContract('DiskObjectStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-disk-'));
  return { store: new DiskObjectStore(join(dir, 'objects')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('DiskObjectStore', () => {
  let dir: string;
  let store: DiskObjectStore;
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-disk-'));
    store = new DiskObjectStore(join(dir, 'root'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('putIfAbsent', () => {
    it('stores key a/b/c as the file root/a/b/c and leaves no temp file behind', async () => {
      // Act
      await store.putIfAbsent('a/b/c', bytes('body'));
      // Assess
      expect(await readdir(join(dir, 'root', 'a', 'b'))).toEqual(['c']);
    });

    it.each([
      ['../escape', /"\.\." segments/],
      ['a/../../escape', /"\.\." segments/],
      ['a/./b', /"\." segments/],
      ['/etc/passwd', /leading "\/"/],
      ['a//b', /segment is empty/],
      ['a/b/', /segment is empty/],
      ['a\0b', /NUL/],
      ['', /empty/],
      ['wal/.sluice-tmp-1234', /reserved for temp files/],
    ])('rejects the key %j with a clear error', async (key, message) => {
      // Act
      const put = store.putIfAbsent(key, bytes('x'));
      // Assess
      await expect(put).rejects.toThrow(message);
      await expect(readdir(dir)).resolves.toEqual([]);
    });

    it('rejects the same keys on get and delete', async () => {
      // Act
      const [got, deleted] = await Promise.allSettled([store.get('../outside'), store.delete('../outside')]);
      // Assess
      expect(got).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/invalid object key/) } });
      expect(deleted).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/invalid object key/) } });
    });

    it('fails when a key would need an existing object as its directory', async () => {
      // Prepare
      await store.putIfAbsent('a', bytes('file'));
      // Act
      const put = store.putIfAbsent('a/b', bytes('under a file'));
      // Assess
      await expect(put).rejects.toThrow(/conflicts with an existing key/);
    });

    it('fails when a key is the directory of existing objects, instead of reporting it exists', async () => {
      // Prepare
      await store.putIfAbsent('a/b', bytes('nested'));
      // Act
      const put = store.putIfAbsent('a', bytes('would shadow a/'));
      // Assess
      await expect(put).rejects.toThrow(/conflicts with an existing key/);
    });
  });

  describe('get', () => {
    it('returns undefined for a key that is a directory of other keys', async () => {
      // Prepare
      await store.putIfAbsent('a/b', bytes('nested'));
      // Act
      const got = await store.get('a');
      // Assess
      expect(got).toBeUndefined();
    });
  });

  describe('list', () => {
    it('returns an empty list before the root exists', async () => {
      // Act
      const listed = await store.list('');
      // Assess
      expect(listed).toEqual([]);
    });

    it('ignores temp files left by a crash between write and link', async () => {
      // Prepare
      await store.putIfAbsent('wal/s1/0001', bytes('committed'));
      await writeFile(join(dir, 'root', 'wal', 's1', '.sluice-tmp-crashed'), 'partial');
      // Act
      const listed = await store.list('');
      // Assess
      expect(listed).toEqual(['wal/s1/0001']);
    });

    it('never walks outside the root, whatever the prefix', async () => {
      // Prepare
      await writeFile(join(dir, 'outside'), 'secret');
      await store.putIfAbsent('inside', bytes('x'));
      // Act
      const listed = await store.list('../');
      // Assess
      expect(listed).toEqual([]);
    });
  });

  describe('delete', () => {
    it('treats a key that is a directory of other keys as missing', async () => {
      // Prepare
      await store.putIfAbsent('a/b', bytes('nested'));
      // Act
      await store.delete('a');
      // Assess
      expect(await store.list('')).toEqual(['a/b']);
    });
  });
});
