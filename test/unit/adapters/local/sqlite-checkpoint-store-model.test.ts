import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../../lib/adapters/local/memory-checkpoint-store';
import { SqliteCheckpointStore } from '../../../../lib/adapters/local/sqlite-checkpoint-store';
import { FencedError } from '../../../../lib/core/errors';
import type { CheckpointStore, TransactWrite, WriteCondition } from '../../../../lib/ports/checkpoint-store';

const pk = fc.constantFrom('p', 'q');
const sk = fc.constantFrom('a', 'a#1', 'a#2', 'b', 'k\uFFFF', 'k\u{1F600}');
const version = fc.integer({ min: 0, max: 3 });
const condition: fc.Arbitrary<WriteCondition> = fc.oneof(
  fc.constant({ absent: true as const }),
  version.map((v) => ({ version: v })),
);
const write: fc.Arbitrary<TransactWrite> = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    item: fc.record({ pk, sk, version, data: fc.string({ maxLength: 3 }) }),
    condition: fc.option(condition, { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('delete' as const), pk, sk, condition: fc.option(condition, { nil: undefined }) }),
  fc.record({ kind: fc.constant('check' as const), pk, sk, condition }),
);
const history = fc.array(fc.array(write, { maxLength: 5 }), { minLength: 1, maxLength: 15 });
const prefix = fc.constantFrom('', 'a', 'a#', 'k', 'b', 'z');

/** What a transaction did, in a form two backends can be compared on. */
async function outcome(store: CheckpointStore, writes: readonly TransactWrite[]): Promise<unknown> {
  try {
    await store.transact(writes);
    return 'committed';
  } catch (error) {
    return error instanceof FencedError ? { fenced: error.reasons } : { rejected: (error as Error).message };
  }
}

describe('SqliteCheckpointStore', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-sqlite-model-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('transact', () => {
    it('behaves like MemoryCheckpointStore for any sequence of transactions', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(history, prefix, async (transactions, queryPrefix) => {
          // Prepare
          const model = new MemoryCheckpointStore();
          const sqlite = SqliteCheckpointStore.open(join(dir, `model-${run++}.db`));
          try {
            for (const writes of transactions) {
              // Act
              const [expected, actual] = [await outcome(model, writes), await outcome(sqlite, writes)];
              // Assess
              expect(actual).toEqual(expected);
            }
            for (const p of ['p', 'q']) expect(await sqlite.query(p, queryPrefix)).toEqual(await model.query(p, queryPrefix));
          } finally {
            await sqlite.close();
          }
        }),
        { numRuns: 60 },
      );
    });
  });
});
