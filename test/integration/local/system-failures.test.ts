import { appendFileSync, existsSync, mkdtempSync, openSync, closeSync, writeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli';

const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `${from + i} lorem ipsum`).join('\n') + '\n';

describe('sluice run when the system under it fails', () => {
  it('stops with one line naming the file when a page of its checkpoint is damaged, and sets nothing aside', async () => {
    // Prepare: a run commits 2,000 lines; then the checkpoint's data page is overwritten with garbage
    // (its header, and so its length check, intact) and 500 lines are appended.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-damaged-page-'));
    const file = join(dir, 'words.txt');
    writeFileSync(file, lines(1, 2_000));
    const checkpointDir = join(dir, 'checkpoint');
    const first = await runCli(['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir]);
    const fd = openSync(join(checkpointDir, 'checkpoint.sqlite'), 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xde), 0, 4096, 4096);
    closeSync(fd);
    appendFileSync(file, lines(2_001, 2_500));
    // Act
    const second = await runCli(['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir]);
    // Assess
    expect(first.code, first.stderr).toBe(0);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([
      `sluice: ${join(checkpointDir, 'checkpoint.sqlite')}: the checkpoint database is damaged (SQLite: database disk image is malformed); restore it from a copy, or start over with a new --checkpoint-dir`,
    ]);
    expect(existsSync(join(checkpointDir, 'objects', 'quarantine'))).toBe(false);
  });
});
