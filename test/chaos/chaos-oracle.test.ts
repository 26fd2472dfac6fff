import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../lib/adapters/local/memory-object-store';
import type { CheckpointStore } from '../../lib/ports/checkpoint-store';
import type { ObjectStore } from '../../lib/ports/object-store';
import type { ChaosBackend } from './chaos-backend';
import { runChaos } from './run-chaos';
import { DEFAULT_SCHEDULE_SIZE } from './schedule-config';

/** A backend whose stores are broken the way `breakStores` says, to show the oracle notices. */
function brokenBackend(
  breakStores: (checkpoints: CheckpointStore, objects: ObjectStore) => { checkpoints: CheckpointStore; objects: ObjectStore },
): ChaosBackend {
  return {
    name: 'broken memory',
    stores: () => breakStores(new MemoryCheckpointStore(), new MemoryObjectStore()),
    faults: () => ({}),
    close: async () => undefined,
  };
}

const indexes = Array.from({ length: 60 }, (_, i) => i);

describe('checkOracle', () => {
  it('sees records lost and duplicated when commits are not fenced', async () => {
    // Prepare: a checkpoint store that drops every condition, so zombies overwrite newer commits.
    const backend = brokenBackend((checkpoints, objects) => ({
      checkpoints: {
        get: (pk, sk) => checkpoints.get(pk, sk),
        query: (pk, p) => checkpoints.query(pk, p),
        transact: (writes) => checkpoints.transact(writes.map((w) => ({ ...w, condition: undefined }) as typeof w)),
      },
      objects,
    }));
    // Act
    const summary = await runChaos({ backend, seed: 7, indexes, size: DEFAULT_SCHEDULE_SIZE });
    // Assess
    expect(summary.failed.length).toBeGreaterThan(0);
    expect(summary.lost + summary.duplicated).toBeGreaterThan(0);
  });

  it('sees duplicated outputs and state when the WAL put is not create-only', async () => {
    // Prepare: every allocation overwrites, so a retry re-cuts a batch that was already emitted.
    const backend = brokenBackend((checkpoints, objects) => ({
      checkpoints,
      objects: {
        ...objects,
        get: (k) => objects.get(k),
        list: (p) => objects.list(p),
        delete: (k) => objects.delete(k),
        putIfAbsent: async (k, body) => (await objects.delete(k), objects.putIfAbsent(k, body)),
      },
    }));
    // Act
    const summary = await runChaos({ backend, seed: 7, indexes, size: DEFAULT_SCHEDULE_SIZE });
    // Assess
    expect(summary.failed.length).toBeGreaterThan(0);
    expect(summary.lost + summary.duplicated).toBeGreaterThan(0);
  });
});
