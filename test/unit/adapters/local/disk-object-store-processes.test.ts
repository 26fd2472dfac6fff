import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskObjectStore } from '../../../../lib/adapters/local/disk-object-store';
import { spawnTsx } from '../../../helpers/spawn-tsx';
import { bodyOf, keyOf } from './fixtures/body-of';

const PUT_LOOP = 'test/unit/adapters/local/fixtures/disk-put-loop.ts';

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

describe('DiskObjectStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-disk-proc-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('putIfAbsent', () => {
    it('keeps every acknowledged object whole when the writer is killed with SIGKILL round after round', async () => {
      // Prepare
      const root = join(dir, 'objects');
      const acknowledged: string[] = [];
      // Act
      for (let round = 0; round < 3; round++) {
        // Each round restarts just after the last acknowledged key, as a restarted batch would; the
        // unacknowledged put in flight at the kill, if it landed, is then found and not overwritten.
        const start = acknowledged.length === 0 ? 0 : Number(acknowledged.at(-1)!.split('/')[2]) + 1;
        const child = spawnTsx(PUT_LOOP, [root, 'solo', String(start)]);
        await child.waitForLines(20 + round * 10);
        child.process.kill('SIGKILL');
        expect(await child.exited).toBe('SIGKILL');
        acknowledged.push(...child.lines);
      }
      // Assess
      const store = new DiskObjectStore(root);
      const listed = await store.list('');
      expect(listed).toEqual(expect.arrayContaining(acknowledged));
      expect(listed.length - acknowledged.length).toBeLessThanOrEqual(3);
      for (const key of listed) expect(sameBytes(await store.get(key), bodyOf(key, 'solo'))).toBe(true);
      const leftovers = (await readdir(root, { recursive: true })).filter((p) => p.includes('.sluice-tmp-'));
      expect(leftovers.length).toBeLessThanOrEqual(3);
    });

    it('gives each key to exactly one of two processes racing over the same keys', async () => {
      // Prepare
      const root = join(dir, 'objects');
      const count = 150;
      // Act
      const writers = ['A', 'B'].map((id) => spawnTsx(PUT_LOOP, [root, id, '0', String(count)]));
      const exits = await Promise.all(writers.map((w) => w.exited));
      // Assess
      expect(exits).toEqual([0, 0]);
      const [wonByA, wonByB] = writers.map((w) => w.lines);
      expect([...wonByA!, ...wonByB!].sort()).toEqual(Array.from({ length: count }, (_, i) => keyOf(i)).sort());
      const store = new DiskObjectStore(root);
      for (const key of wonByA!) expect(sameBytes(await store.get(key), bodyOf(key, 'A'))).toBe(true);
      for (const key of wonByB!) expect(sameBytes(await store.get(key), bodyOf(key, 'B'))).toBe(true);
    });
  });
});
