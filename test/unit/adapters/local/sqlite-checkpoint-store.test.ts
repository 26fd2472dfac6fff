import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCheckpointStore } from '../../../../lib/adapters/local/sqlite-checkpoint-store';
import { ThrottledError } from '../../../../lib/core/errors';
import { describeCheckpointStoreContract } from '../../../helpers/checkpoint-store-contract';

describeCheckpointStoreContract('SqliteCheckpointStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-sqlite-'));
  return { store: SqliteCheckpointStore.open(join(dir, 'checkpoint.db')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('SqliteCheckpointStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-sqlite-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('open', () => {
    it('creates missing parent directories', async () => {
      // Act
      const store = SqliteCheckpointStore.open(join(dir, 'nested', 'deeper', 'checkpoint.db'));
      await store.transact([{ kind: 'put', item: { pk: 'p', sk: 's', version: 1, data: 'd' } }]);
      // Assess
      expect(await store.get('p', 's')).toEqual({ pk: 'p', sk: 's', version: 1, data: 'd' });
      await store.close();
    });

    it('finds committed items again after close and reopen', async () => {
      // Prepare
      const file = join(dir, 'checkpoint.db');
      const first = SqliteCheckpointStore.open(file);
      await first.transact([{ kind: 'put', item: { pk: 'p', sk: 'checkpoint', version: 3, data: '{"batchNo":3}' } }]);
      await first.close();
      // Act
      const second = SqliteCheckpointStore.open(file);
      const got = await second.get('p', 'checkpoint');
      // Assess
      expect(got).toEqual({ pk: 'p', sk: 'checkpoint', version: 3, data: '{"batchNo":3}' });
      await second.close();
    });
  });

  describe('transact', () => {
    it('rejects with a retryable ThrottledError when another connection holds the write lock past busy_timeout', async () => {
      // Prepare
      const file = join(dir, 'checkpoint.db');
      const store = SqliteCheckpointStore.open(file, { busyTimeoutMs: 0 });
      const other = new DatabaseSync(file);
      other.exec('BEGIN IMMEDIATE');
      // Act
      const error = await store.transact([{ kind: 'put', item: { pk: 'p', sk: 's', version: 1, data: 'd' } }]).catch((e: unknown) => e);
      // Assess
      expect(error).toBeInstanceOf(ThrottledError);
      expect((error as ThrottledError).retryable).toBe(true);
      other.exec('ROLLBACK');
      other.close();
      await store.transact([{ kind: 'put', item: { pk: 'p', sk: 's', version: 1, data: 'd' } }]);
      expect((await store.get('p', 's'))?.version).toBe(1);
      await store.close();
    });
  });

  describe('close', () => {
    it('is idempotent and fails later calls', async () => {
      // Prepare
      const store = SqliteCheckpointStore.open(join(dir, 'checkpoint.db'));
      // Act
      await store.close();
      await store.close();
      // Assess
      await expect(store.get('p', 's')).rejects.toThrow(/not open|finalized/);
    });
  });
});
