import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSqliteFile } from '../../../../lib/adapters/local/check-sqlite-file';
import { SqliteCheckpointStore } from '../../../../lib/adapters/local/sqlite-checkpoint-store';
import { CorruptDataError } from '../../../../lib/core/errors';

/** A closed checkpoint file of several pages. */
async function checkpointFile(): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-sqlite-file-')), 'checkpoint.sqlite');
  const store = SqliteCheckpointStore.open(file);
  await store.transact([{ kind: 'put', item: { pk: 'app#s', sk: 'meta#checkpoint', version: 1, data: 'x'.repeat(20_000) } }]);
  await store.close();
  return file;
}

describe('checkSqliteFile', () => {
  it('passes a whole database, a missing file and an empty one', async () => {
    // Prepare
    const file = await checkpointFile();
    const empty = join(mkdtempSync(join(tmpdir(), 'sluice-sqlite-file-')), 'empty.sqlite');
    writeFileSync(empty, '');
    // Act / Assess
    expect(() => checkSqliteFile(file)).not.toThrow();
    expect(() => checkSqliteFile(`${file}.missing`)).not.toThrow();
    expect(() => checkSqliteFile(empty)).not.toThrow();
  });

  it('rejects a database cut at a page boundary below the pages its header counts', async () => {
    // Prepare
    const file = await checkpointFile();
    const pageSize = readFileSync(file).readUInt16BE(16);
    truncateSync(file, pageSize * 2);
    // Act / Assess
    expect(() => checkSqliteFile(file)).toThrow(CorruptDataError);
    expect(() => checkSqliteFile(file)).toThrow(`${file}: the checkpoint database is damaged (cut short: ${pageSize * 2} bytes where its header counts`);
  });

  it('leaves the file to SQLite while a write-ahead log holds frames (a writer may be copying pages)', async () => {
    // Prepare
    const file = await checkpointFile();
    truncateSync(file, readFileSync(file).readUInt16BE(16) * 2);
    writeFileSync(`${file}-wal`, 'frames');
    // Act / Assess
    expect(() => checkSqliteFile(file)).not.toThrow();
  });
});
