import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../lib/ports/object-store';

/** What a backend's factory hands the contract: a fresh store and how to dispose of it. */
export interface ObjectStoreFixture {
  readonly store: ObjectStore;
  /** Runs after each test: removes temp directories, buckets, ... */
  readonly cleanup?: () => Promise<void>;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Compares contents only, so a Buffer and a Uint8Array with the same bytes are equal. */
const asBytes = (body: Uint8Array | undefined): number[] | undefined => (body === undefined ? undefined : Array.from(body));

/**
 * The behaviour every {@link ObjectStore} backend must show: create-only writes (the batch
 * allocation record), races on one key, sorted prefix listing, binary bodies and deletes.
 * Memory, disk and S3 run the same cases.
 *
 * Each test writes under its own random key prefix, so a backend may share one bucket between tests.
 *
 * @example
 * describeObjectStoreContract('MemoryObjectStore', async () => ({ store: new MemoryObjectStore() }));
 */
export function describeObjectStoreContract(name: string, create: () => Promise<ObjectStoreFixture>): void {
  describe(name, () => {
    let store: ObjectStore;
    let cleanup: (() => Promise<void>) | undefined;
    let base: string;

    beforeEach(async () => {
      ({ store, cleanup } = await create());
      base = `contract-${randomUUID()}/`;
    });

    afterEach(async () => {
      await cleanup?.();
    });

    describe('putIfAbsent', () => {
      it('creates a missing object and returns true', async () => {
        // Act
        const created = await store.putIfAbsent(`${base}wal/0001`, bytes('first'));
        // Assess
        expect(created).toBe(true);
        expect(asBytes(await store.get(`${base}wal/0001`))).toEqual(asBytes(bytes('first')));
      });

      it('returns false for an existing object and keeps the first body', async () => {
        // Prepare
        await store.putIfAbsent(`${base}wal/0001`, bytes('first'));
        // Act
        const created = await store.putIfAbsent(`${base}wal/0001`, bytes('second, longer body'));
        // Assess
        expect(created).toBe(false);
        expect(asBytes(await store.get(`${base}wal/0001`))).toEqual(asBytes(bytes('first')));
      });

      it('lets exactly one of 20 concurrent creators of one key win, and stores its body', async () => {
        // Prepare
        const key = `${base}wal/race`;
        const bodies = Array.from({ length: 20 }, (_, i) => bytes(`body of writer ${i} `.repeat(100 + i)));
        // Act
        const results = await Promise.all(bodies.map((body) => store.putIfAbsent(key, body)));
        // Assess
        const winners = results.flatMap((created, i) => (created ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(asBytes(await store.get(key))).toEqual(asBytes(bodies[winners[0]!]));
      });

      it('round-trips every byte value and an empty body', async () => {
        // Prepare
        const binary = Uint8Array.from({ length: 512 }, (_, i) => (i * 7 + 3) % 256);
        // Act
        await store.putIfAbsent(`${base}binary`, binary);
        await store.putIfAbsent(`${base}empty`, new Uint8Array(0));
        // Assess
        expect(asBytes(await store.get(`${base}binary`))).toEqual(asBytes(binary));
        expect(asBytes(await store.get(`${base}empty`))).toEqual([]);
      });

      it('round-trips a 1 MiB body', async () => {
        // Prepare
        const body = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31) % 251);
        // Act
        await store.putIfAbsent(`${base}large`, body);
        // Assess
        const got = await store.get(`${base}large`);
        expect(got?.byteLength).toBe(body.byteLength);
        expect(Buffer.compare(Buffer.from(got!), Buffer.from(body))).toBe(0);
      });

      it('accepts keys with non-ASCII segments', async () => {
        // Prepare
        const key = `${base}wörd/😀/é`;
        // Act
        await store.putIfAbsent(key, bytes('unicode'));
        // Assess
        expect(asBytes(await store.get(key))).toEqual(asBytes(bytes('unicode')));
        expect(await store.list(base)).toEqual([key]);
      });

      it('keeps its own copy: changing the body after the put does not change the object', async () => {
        // Prepare
        const body = bytes('original');
        await store.putIfAbsent(`${base}copy`, body);
        // Act
        body.fill(0);
        const got = (await store.get(`${base}copy`))!;
        got.fill(1);
        // Assess
        expect(asBytes(await store.get(`${base}copy`))).toEqual(asBytes(bytes('original')));
      });

      it('rejects an empty key', async () => {
        // Act
        const put = store.putIfAbsent('', bytes('x'));
        // Assess
        await expect(put).rejects.toThrow();
      });
    });

    describe('get', () => {
      it('returns undefined for a missing key', async () => {
        // Act
        const got = await store.get(`${base}missing`);
        // Assess
        expect(got).toBeUndefined();
      });
    });

    describe('getRange', () => {
      it('reads the bytes of [start, end), fewer when the object ends first', async () => {
        // Prepare
        await store.putIfAbsent(`${base}state/0001`, bytes('0123456789'));
        // Act
        const middle = await store.getRange(`${base}state/0001`, 2, 5);
        const tail = await store.getRange(`${base}state/0001`, 7, 64);
        const whole = await store.getRange(`${base}state/0001`, 0, 10);
        // Assess
        expect(new TextDecoder().decode(middle)).toBe('234');
        expect(new TextDecoder().decode(tail)).toBe('789');
        expect(new TextDecoder().decode(whole)).toBe('0123456789');
      });

      it('returns nothing for a range past the end, and undefined for a missing object', async () => {
        await store.putIfAbsent(`${base}state/0001`, bytes('0123'));
        expect(asBytes(await store.getRange(`${base}state/0001`, 10, 20))).toEqual([]);
        expect(await store.getRange(`${base}state/none`, 0, 4)).toBeUndefined();
      });
    });

    describe('list', () => {
      const keys = ['wal/s1/0002', 'wal/s1/0010', 'wal/s1/0001', 'wal/s2/0001', 'walx/s1/0001', 'quarantine/s1/0001'];

      beforeEach(async () => {
        for (const key of keys) await store.putIfAbsent(base + key, bytes(key));
      });

      it('returns every key under a prefix in lexicographic order', async () => {
        // Act
        const listed = await store.list(base);
        // Assess
        expect(listed).toEqual(['quarantine/s1/0001', 'wal/s1/0001', 'wal/s1/0002', 'wal/s1/0010', 'wal/s2/0001', 'walx/s1/0001'].map((k) => base + k));
      });

      it('returns only keys under a directory-like prefix', async () => {
        // Act
        const listed = await store.list(`${base}wal/`);
        // Assess
        expect(listed).toEqual(['wal/s1/0001', 'wal/s1/0002', 'wal/s1/0010', 'wal/s2/0001'].map((k) => base + k));
      });

      it('matches a prefix that ends inside a segment', async () => {
        // Act
        const [shards, names] = await Promise.all([store.list(`${base}wal/s`), store.list(`${base}wal/s1/000`)]);
        // Assess
        expect(shards).toEqual(['wal/s1/0001', 'wal/s1/0002', 'wal/s1/0010', 'wal/s2/0001'].map((k) => base + k));
        expect(names).toEqual(['wal/s1/0001', 'wal/s1/0002'].map((k) => base + k));
      });

      it('returns an empty list when nothing matches', async () => {
        // Act
        const listed = await store.list(`${base}nothing/`);
        // Assess
        expect(listed).toEqual([]);
      });
    });

    describe('delete', () => {
      it('removes an object from get and list, and lets it be created again', async () => {
        // Prepare
        await store.putIfAbsent(`${base}wal/0001`, bytes('first'));
        await store.putIfAbsent(`${base}wal/0002`, bytes('second'));
        // Act
        await store.delete(`${base}wal/0001`);
        // Assess
        expect(await store.get(`${base}wal/0001`)).toBeUndefined();
        expect(await store.list(base)).toEqual([`${base}wal/0002`]);
        expect(await store.putIfAbsent(`${base}wal/0001`, bytes('again'))).toBe(true);
        expect(asBytes(await store.get(`${base}wal/0001`))).toEqual(asBytes(bytes('again')));
      });

      it('treats deleting a missing key as done', async () => {
        // Act
        const deleted = store.delete(`${base}never-written`);
        // Assess
        await expect(deleted).resolves.toBeUndefined();
      });
    });
  });
}
