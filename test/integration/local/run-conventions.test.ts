import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, SLUICE_BIN } from '../../helpers/run-cli';

const STRICT = 'test/integration/fault-tolerance/fixtures/strict-word-count.ts';

function workspace(lines: readonly string[]): { dir: string; file: string; checkpointDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-conventions-'));
  const file = join(dir, 'lines.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { dir, file, checkpointDir: join(dir, 'checkpoint') };
}

describe('sluice run: how a run ends, and its errors', () => {
  it('ends with a line saying how many records were quarantined and where, and exits 3 with --fail-on-quarantine', async () => {
    // Prepare: every line is a poison pill for the pipeline's first map.
    const lines = Array.from({ length: 50 }, (_, i) => `poison ${i}`);
    const { file, checkpointDir } = workspace(lines);
    const run = ['run', '--pipeline', STRICT, '--source', `file:${file}`];
    // Act
    const plain = await runCli([...run, '--checkpoint-dir', checkpointDir]);
    const strict = await runCli([...run, '--checkpoint-dir', `${checkpointDir}-2`, '--fail-on-quarantine']);
    const listed = await runCli(['quarantine', 'list', '--pipeline', STRICT, '--checkpoint-dir', checkpointDir, '--json']);
    // Assess
    const summary = `sluice: 50 records quarantined (the pipeline threw on them, or they did not decode): see sluice quarantine list --app strict-word-count --checkpoint-dir ${checkpointDir}`;
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr.trim().split('\n')).toEqual([summary]);
    expect(strict.code).toBe(3);
    expect(strict.stderr.trim().split('\n')).toEqual([summary.replace(checkpointDir, `${checkpointDir}-2`)]);
    const entries = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stage: string });
    expect(entries).toHaveLength(50);
    expect(new Set(entries.map((e) => e.stage))).toEqual(new Set(['map #1']));
  });

  it('exits 0 with --fail-on-quarantine when nothing was quarantined', async () => {
    const { file, checkpointDir } = workspace(['to be', 'or not']);
    const result = await runCli(['run', '--pipeline', STRICT, '--source', `file:${file}`, '--checkpoint-dir', checkpointDir, '--fail-on-quarantine']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
  });

  it('prints one line when a pipeline outside any project with sluice imports it', async () => {
    // Prepare: a pipeline in a folder of its own, no node_modules.
    const { dir, file, checkpointDir } = workspace(['a b']);
    const pipelineFile = join(dir, 'mine.ts');
    writeFileSync(pipelineFile, "import { pipeline } from 'sluice';\nexport default pipeline('mine').map((l: string) => l);\n");
    // Act
    const result = await runCli(['run', '--pipeline', pipelineFile, '--source', `file:${file}`, '--checkpoint-dir', checkpointDir], { cwd: dir });
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `sluice: --pipeline: ${pipelineFile} failed to load: it imports sluice, which is not installed where the pipeline is: run npm install sluice in its project, or move the pipeline into a project that has it`,
    ]);
  });

  it('ends quietly when the reader of state dump goes away (| head)', async () => {
    // Prepare: a state far bigger than a pipe's buffer.
    const { file, checkpointDir } = workspace(Array.from({ length: 2_000 }, (_, i) => Array.from({ length: 20 }, (_, j) => `w${i}x${j}`).join(' ')));
    const run = await runCli(['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir]);
    expect(run.code, run.stderr).toBe(0);
    // Act: the dump piped into a reader that takes 10 bytes and leaves.
    const child = spawn(
      'sh',
      [
        '-c',
        `"${process.execPath}" "${SLUICE_BIN}" state dump --checkpoint-dir "${checkpointDir}" --operator totals | head -c 10; echo " dump-exit=\${PIPESTATUS:-?}"`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    // Assess
    expect(code).toBe(0);
    expect(stdout.startsWith('{"')).toBe(true);
    // Only the note of the stage it read (the default word count has three): no EPIPE, no stack.
    expect(stderr).toBe('totals: stage 1 of 3 (app word-count.s1)\n');
  });
});
