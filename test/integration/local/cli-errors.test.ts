import { mkdtempSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLocalStores } from '../../../lib/compose/open-local-app';
import { runCli } from '../../helpers/run-cli';

/** A directory with `words.txt` (three lines), and the checkpoint directory next to it. */
function workspace(): { dir: string; file: string; checkpointDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-errors-'));
  const file = join(dir, 'words.txt');
  writeFileSync(file, 'to be\nor not\nto be\n');
  return { dir, file, checkpointDir: join(dir, 'checkpoint') };
}

describe('sluice run errors', () => {
  it.each([
    { name: 'cut inside its pages', bytes: 5_000 },
    { name: 'cut inside its header', bytes: 50 },
  ])('prints one line naming the checkpoint file when it was $name', async ({ bytes }) => {
    // Prepare: a checkpoint holding an item, closed, then its file cut short.
    const { file, checkpointDir } = workspace();
    const run = ['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir];
    const { checkpoints } = openLocalStores(checkpointDir);
    await checkpoints.transact([
      {
        kind: 'put',
        item: {
          pk: 'word-count#file-0',
          sk: 'meta#checkpoint',
          version: 1,
          data: JSON.stringify({ batchNo: 1, committedSeq: '3', payload: 'x'.repeat(6_000) }),
        },
      },
    ]);
    await checkpoints.close();
    const sqlite = join(checkpointDir, 'checkpoint.sqlite');
    expect(statSync(sqlite).size).toBeGreaterThan(bytes);
    truncateSync(sqlite, bytes);
    // Act
    const result = await runCli(run);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^sluice: ${sqlite}: the checkpoint database is damaged \\((cut short|not a SQLite database): [^)]+\\); restore it from a copy, or start over with a new --checkpoint-dir$`,
        ),
      ),
    ]);
  });

  it.each([
    { name: 'a directory of ES modules', packageJson: '{"type":"module"}' },
    { name: 'a directory of CommonJS modules', packageJson: undefined },
  ])('prints one line naming file, line and column for a pipeline with a syntax error in $name', async ({ packageJson }) => {
    // Prepare
    const { dir, file, checkpointDir } = workspace();
    if (packageJson !== undefined) writeFileSync(join(dir, 'package.json'), packageJson);
    const pipelineFile = join(dir, 'broken.ts');
    writeFileSync(pipelineFile, "import { pipeline } from 'sluice';\nexport default pipeline('broken').map((line: string) => line +);\n");
    // Act
    const result = await runCli(['run', '--pipeline', pipelineFile, '--source', `file:${file}`, '--checkpoint-dir', checkpointDir]);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([`sluice: --pipeline: ${pipelineFile}:2:63: Unexpected ")"`]);
  });

  it("takes a static limit below the rate controller's floor, with backpressure on", async () => {
    // Prepare
    const { file, checkpointDir } = workspace();
    // Act
    const result = await runCli(['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir, '--max-rate', '99']);
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('stopped (drained): 3 records');
  });

  it.each(['1e20'])('rejects --max-rate %s naming the option and its real bounds', async (value) => {
    // Act
    const result = await runCli(['run', '--max-rate', value]);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `sluice: --max-rate: must be a whole number of records per second from 1 to 100,000,000 (given "${value}")`,
    ]);
  });
});
