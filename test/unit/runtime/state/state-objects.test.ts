import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../../lib/adapters/local/memory-object-store';
import { CorruptDataError } from '../../../../lib/core/errors';
import { OperatorState } from '../../../../lib/core/state/operator-state';
import { loadState, MissingStateObjectError } from '../../../../lib/runtime/protocol/state/load-state';
import { prepareStateWrite } from '../../../../lib/runtime/protocol/state/prepare-state-write';
import { indexOf } from '../../../../lib/runtime/protocol/state/state-file';
import { deltaCount, EMPTY_MANIFEST, type SnapshotPolicy, type StateManifest } from '../../../../lib/runtime/protocol/state/state-manifest';
import { StorageKeys } from '../../../../lib/runtime/protocol/storage-keys';

const where = (objects: MemoryObjectStore) => ({ objects, app: 'app', shardId: 's1' });

/** The store's methods as own properties, to override one. */
function bindStore(o: MemoryObjectStore) {
  return {
    putIfAbsent: (k: string, b: Uint8Array) => o.putIfAbsent(k, b),
    get: (k: string) => o.get(k),
    getRange: (k: string, s: number, e: number) => o.getRange(k, s, e),
    list: (p: string) => o.list(p),
    delete: (k: string) => o.delete(k),
  };
}

/** Every entry of every operator, in state order. */
function dump(states: ReadonlyMap<string, OperatorState>): Array<[string, Array<[string, unknown, number]>]> {
  return [...states].map(([id, s]) => [id, [...s.entries()].map(([k, e]) => [k, e.value, e.updatedAtMs] as [string, unknown, number])]);
}

/** A batch's operations on one operator's state: set a key to a value, or remove it. */
type Op = { op: 'a' | 'b'; key: string; value: number | null };

/** Runs batches of operations the way the processor does: apply, write the state object, commit the manifest, settle. */
async function runBatches(
  batches: Op[][],
  policy: SnapshotPolicy,
  objects: MemoryObjectStore,
  tagged = false,
): Promise<{ states: Map<string, OperatorState>; manifest: StateManifest; kinds: string[] }> {
  const states = new Map([
    ['a', new OperatorState()],
    ['b', new OperatorState()],
  ]);
  let manifest = EMPTY_MANIFEST;
  const kinds: string[] = [];
  for (let i = 0; i < batches.length; i++) {
    for (const { op, key, value } of batches[i]!) {
      const state = states.get(op)!;
      if (value === null) state.delete(key);
      else state.set(key, { value, updatedAtMs: i });
    }
    const write = await prepareStateWrite({ app: 'app', shardId: 's1', batchNo: i + 1, manifest, states, tagged, policy });
    if (write !== undefined) {
      await objects.putIfAbsent(write.key, write.body);
      manifest = write.manifest;
      kinds.push(write.kind);
    }
    for (const s of states.values()) s.settle();
  }
  return { states, manifest, kinds };
}

const ops = fc.array(
  fc.array(
    fc.record({
      op: fc.constantFrom<'a' | 'b'>('a', 'b'),
      key: fc.constantFrom('k0', 'k1', 'k2', 'k3', 'k4', 'k5', '\u0001[1]', 'é'),
      value: fc.option(fc.integer({ min: 0, max: 99 }), { nil: null }),
    }),
    { maxLength: 12 },
  ),
  { minLength: 1, maxLength: 12 },
);

describe('state objects', () => {
  describe('prepareStateWrite and loadState', () => {
    it('rebuild on a cold instance exactly the warm state, entries and order, whatever the snapshot policy (property)', async () => {
      await fc.assert(
        fc.asyncProperty(ops, fc.integer({ min: 1, max: 4 }), fc.constantFrom(0.5, 1, 100), fc.boolean(), async (batches, maxDeltas, deltaRatio, tagged) => {
          const objects = new MemoryObjectStore();
          const warm = await runBatches(batches, { maxDeltas, deltaRatio }, objects, tagged);
          const cold = new Map([
            ['a', new OperatorState()],
            ['b', new OperatorState()],
          ]);
          await loadState(where(objects), warm.manifest, cold);
          expect(dump(cold)).toEqual(dump(warm.states));
          expect(warm.manifest.keys).toBe(warm.states.get('a')!.size + warm.states.get('b')!.size);
        }),
        { numRuns: 300 },
      );
    });

    it('keeps a removed key that comes back in the same batch at its place, as a cold load does', async () => {
      // Prepare: a, b, c; then b is removed and set again in one batch, and d is new.
      const objects = new MemoryObjectStore();
      const batches: Op[][] = [
        ['a', 'b', 'c'].map((key) => ({ op: 'a' as const, key, value: 1 })),
        [
          { op: 'a', key: 'b', value: null },
          { op: 'a', key: 'd', value: 4 },
          { op: 'a', key: 'b', value: 2 },
        ],
      ];
      // Act
      const warm = await runBatches(batches, { maxDeltas: 10 }, objects);
      const cold = new Map([
        ['a', new OperatorState()],
        ['b', new OperatorState()],
      ]);
      await loadState(where(objects), warm.manifest, cold);
      // Assess
      expect([...warm.states.get('a')!.entries()].map(([k]) => k)).toEqual(['a', 'b', 'c', 'd']);
      expect(dump(cold)).toEqual(dump(warm.states));
      expect(warm.kinds).toEqual(['snapshot', 'delta']);
    });

    it('writes a snapshot first, deltas after it, and a snapshot again when the chain reaches maxDeltas', async () => {
      const objects = new MemoryObjectStore();
      const batches: Op[][] = Array.from({ length: 7 }, (_, i) => [{ op: 'a' as const, key: `k${i}`, value: i }]);
      const { kinds, manifest } = await runBatches(batches, { maxDeltas: 3, deltaRatio: 1_000 }, objects);
      expect(kinds).toEqual(['snapshot', 'delta', 'delta', 'delta', 'snapshot', 'delta', 'delta']);
      expect(manifest).toMatchObject({ snapshot: { batchNo: 5, keys: 5 }, deltas: [[6, 7]], keys: 7 });
    });

    it('writes a snapshot once the deltas weigh as much as it', async () => {
      // Prepare: one small key, then batches rewriting 20 other keys each: the first delta outweighs the
      // 1-key snapshot; once the snapshot holds the 20 keys too, it takes two deltas to outweigh it.
      const objects = new MemoryObjectStore();
      const batches: Op[][] = [
        [{ op: 'a', key: 'x', value: 1 }],
        ...Array.from({ length: 4 }, (_, i) => Array.from({ length: 20 }, (_, k) => ({ op: 'b' as const, key: `k${k}`, value: i }))),
      ];
      // Act
      const { kinds } = await runBatches(batches, { maxDeltas: 100, deltaRatio: 1 }, objects);
      // Assess
      expect(kinds).toEqual(['snapshot', 'delta', 'snapshot', 'delta', 'delta']);
    });

    it('writes nothing for a batch that changed no state, and skips its number in the chain', async () => {
      const objects = new MemoryObjectStore();
      const { kinds, manifest } = await runBatches(
        [[{ op: 'a', key: 'x', value: 1 }], [{ op: 'a', key: 'y', value: 2 }], [], [{ op: 'a', key: 'z', value: 3 }]],
        { maxDeltas: 10, deltaRatio: 1_000 },
        objects,
      );
      expect(kinds).toEqual(['snapshot', 'delta', 'delta']);
      expect(manifest.deltas).toEqual([
        [2, 2],
        [4, 4],
      ]);
      expect(deltaCount(manifest)).toBe(2);
      expect(await objects.list(StorageKeys.statePrefix('app', 's1'))).toHaveLength(3);
    });

    it('splits a big state into parts of about a megabyte, and loads it back part by part', async () => {
      // Prepare: 60,000 keys of ~60 bytes: about 4 MB serialized.
      const objects = new MemoryObjectStore();
      const batch: Op[] = Array.from({ length: 60_000 }, (_, i) => ({ op: 'a' as const, key: `key-${i}-${'x'.repeat(30)}`, value: i }));
      // Act
      const warm = await runBatches([batch], {}, objects);
      const key = StorageKeys.stateKey('app', 's1', 1, 'snapshot');
      const index = await indexOf(key, (await objects.get(key))!);
      const cold = new Map([
        ['a', new OperatorState()],
        ['b', new OperatorState()],
      ]);
      await loadState(where(objects), warm.manifest, cold);
      // Assess
      expect(index.parts.length).toBeGreaterThanOrEqual(3);
      expect(index.parts.every(([, , op, kind]) => op === 'a' && kind === 'rows')).toBe(true);
      expect(index.rows).toBe(60_000);
      expect(dump(cold)).toEqual(dump(warm.states));
    });

    it('loads a big snapshot by ranged GETs, several ranges and an index beyond the first tail read, to the same state', async () => {
      // Prepare: 60,000 keys (a few parts), loaded with ranges of 64 KB, then of 40 bytes (a tail read too small for the index).
      const objects = new MemoryObjectStore();
      const batch: Op[] = Array.from({ length: 60_000 }, (_, i) => ({
        op: i % 3 === 0 ? ('b' as const) : ('a' as const),
        key: `key-${i}-${'x'.repeat(30)}`,
        value: i,
      }));
      const warm = await runBatches([batch], {}, objects);
      const ranged: string[] = [];
      const counting = {
        ...bindStore(objects),
        getRange: (key: string, start: number, end: number) => (ranged.push(`${start}-${end}`), objects.getRange(key, start, end)),
      };
      // Act
      const loads = await Promise.all(
        [64 * 1024, 40].map(async (rangeBytes) => {
          const cold = new Map([
            ['a', new OperatorState()],
            ['b', new OperatorState()],
          ]);
          await loadState({ objects: counting, app: 'app', shardId: 's1', rangeBytes }, warm.manifest, cold);
          return dump(cold);
        }),
      );
      // Assess
      expect(loads).toEqual([dump(warm.states), dump(warm.states)]);
      expect(ranged.length).toBeGreaterThan(6);
    });

    it('tags the keys of an app without a WAL with the content, so two cuts of a batch never share an object', async () => {
      const one = await runBatches([[{ op: 'a', key: 'x', value: 1 }]], {}, new MemoryObjectStore(), true);
      const other = await runBatches([[{ op: 'a', key: 'x', value: 2 }]], {}, new MemoryObjectStore(), true);
      expect(one.manifest.snapshot?.tag).toMatch(/^[0-9a-f]{16}$/);
      expect(one.manifest.snapshot?.tag).not.toBe(other.manifest.snapshot?.tag);
    });
  });

  describe('loadState', () => {
    it('fails with MissingStateObjectError naming the key when an object the manifest names is gone', async () => {
      const objects = new MemoryObjectStore();
      const { manifest } = await runBatches([[{ op: 'a', key: 'x', value: 1 }], [{ op: 'a', key: 'y', value: 1 }]], {}, objects);
      await objects.delete(StorageKeys.stateKey('app', 's1', 2, 'delta'));
      const load = loadState(
        where(objects),
        manifest,
        new Map([
          ['a', new OperatorState()],
          ['b', new OperatorState()],
        ]),
      );
      await expect(load).rejects.toThrow(MissingStateObjectError);
      await expect(load).rejects.toThrow('state/app/s1/00000000000000000002.delta');
    });

    it('rejects an object that is not a state object, naming it', async () => {
      const objects = new MemoryObjectStore();
      const { manifest } = await runBatches([[{ op: 'a', key: 'x', value: 1 }]], {}, objects);
      const key = StorageKeys.stateKey('app', 's1', 1, 'snapshot');
      await objects.delete(key);
      await objects.putIfAbsent(key, new TextEncoder().encode('x'.repeat(manifest.snapshot!.bytes)));
      await expect(loadState(where(objects), manifest, new Map([['a', new OperatorState()]]))).rejects.toThrow(CorruptDataError);
      await expect(loadState(where(objects), manifest, new Map([['a', new OperatorState()]]))).rejects.toThrow(`${key}: not a state object`);
    });

    it('rejects state of an operator the pipeline does not have', async () => {
      const objects = new MemoryObjectStore();
      const { manifest } = await runBatches([[{ op: 'b', key: 'x', value: 1 }]], {}, objects);
      await expect(loadState(where(objects), manifest, new Map([['a', new OperatorState()]]))).rejects.toThrow(
        /holds state of operator "b", which this pipeline does not have/,
      );
    });
  });
});
