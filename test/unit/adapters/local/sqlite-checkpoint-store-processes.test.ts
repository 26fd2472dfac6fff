import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteCheckpointStore } from '../../../../lib/adapters/local/sqlite-checkpoint-store';
import { spawnTsx } from '../../../helpers/spawn-tsx';

const COMMIT_LOOP = 'test/unit/adapters/local/fixtures/sqlite-commit-loop.ts';
const PK = 'shard-0';

/** Reads what the commit loop leaves behind and checks it is one consistent history 1..n. */
async function readHistory(file: string): Promise<{ batchNo: number; logs: Array<{ version: number; data: string }> }> {
  const db = new DatabaseSync(file, { readOnly: true });
  expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
  db.close();
  const store = SqliteCheckpointStore.open(file);
  const [checkpoint, sum, logs] = await Promise.all([store.get(PK, 'checkpoint'), store.get(PK, 'state#sum'), store.query(PK, 'log#')]);
  await store.close();
  const batchNo = checkpoint!.version;
  expect(logs.map((l) => l.version)).toEqual(Array.from({ length: batchNo }, (_, i) => i + 1));
  expect(sum).toMatchObject({ version: batchNo, data: String((batchNo * (batchNo + 1)) / 2) });
  return { batchNo, logs };
}

describe('SqliteCheckpointStore', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-sqlite-proc-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('transact', () => {
    it('keeps every acknowledged commit, consistent, when the writer is killed with SIGKILL round after round', async () => {
      // Prepare
      const file = join(dir, 'checkpoint.db');
      const acknowledged: number[] = [];
      // Act
      for (let round = 0; round < 3; round++) {
        const child = spawnTsx(COMMIT_LOOP, [file, `round-${round}`]);
        await child.waitForLines(25 + round * 10);
        child.process.kill('SIGKILL');
        expect(await child.exited).toBe('SIGKILL');
        acknowledged.push(...child.lines.map(Number));
      }
      // Assess
      const { batchNo } = await readHistory(file);
      const lastAcknowledged = Math.max(...acknowledged);
      // The commit in flight at the last kill may have landed without being printed; nothing else may be missing.
      expect(batchNo === lastAcknowledged || batchNo === lastAcknowledged + 1).toBe(true);
      expect(new Set(acknowledged).size).toBe(acknowledged.length);
      expect(acknowledged.every((n) => n >= 1 && n <= batchNo)).toBe(true);
    });

    it('serializes two processes committing to one file: no lost or doubled batch', async () => {
      // Prepare
      const file = join(dir, 'checkpoint.db');
      const perWriter = 60;
      const writers = ['A', 'B'].map((id) => spawnTsx(COMMIT_LOOP, [file, id, String(perWriter), 'wait']));
      await Promise.all(writers.map((w) => w.waitForLines(1)));
      // Act
      for (const w of writers) w.process.stdin.write('go\n');
      const exits = await Promise.all(writers.map((w) => w.exited));
      // Assess
      expect(exits).toEqual([0, 0]);
      const { batchNo, logs } = await readHistory(file);
      expect(batchNo).toBe(2 * perWriter);
      for (const [index, id] of ['A', 'B'].entries()) {
        const printed = writers[index]!.lines.slice(1).map(Number);
        expect(logs.filter((l) => l.data === id).map((l) => l.version)).toEqual(printed);
      }
    });
  });
});
