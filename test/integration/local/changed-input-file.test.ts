import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli';
import { countWords } from '../../helpers/word-records';

/** `count` lines `"<i> <word>"`, i from `from`: every line is a word of its own plus a shared one. */
function numberedLines(count: number, word: string, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `${from + i} ${word}`);
}

/** A file of `lines` under a fresh directory, with the checkpoint directory next to it. */
function inputFile(lines: readonly string[]): { file: string; checkpointDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-changed-'));
  const file = join(dir, 'words.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, checkpointDir: join(dir, 'checkpoint') };
}

/** Adds two word counts. */
function sum(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [word, n] of Object.entries(b)) out[word] = (out[word] ?? 0) + n;
  return out;
}

describe('sluice run over a file that changed since its lines were committed', () => {
  it('refuses a file shrunk below the committed line instead of draining with nothing', async () => {
    // Prepare
    const first = numberedLines(1_000, 'monday');
    const { file, checkpointDir } = inputFile(first);
    const run = ['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir];
    const done = await runCli(run);
    writeFileSync(file, `${first.slice(0, 200).join('\n')}\n`);
    // Act
    const refused = await runCli(run);
    // Assess
    expect(done.code, done.stderr).toBe(0);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^sluice: --source: file:${file} is not the file whose lines 1-1,000 app word-count committed: it has [\\d,]+ bytes, fewer than the [\\d,]+ of the lines committed \\(the file was truncated or replaced\\); .*--from-start.*--checkpoint-dir or --app$`,
        ),
      ),
    ]);
  });

  it('goes on with the lines appended to a file since its last run', async () => {
    // Prepare
    const first = numberedLines(1_000, 'monday');
    const more = numberedLines(500, 'tuesday', 1_001);
    const { file, checkpointDir } = inputFile(first);
    const run = ['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir];
    const done = await runCli(run);
    appendFileSync(file, `${more.join('\n')}\n`);
    // Act
    const resumed = await runCli(run);
    const dump = await runCli(['state', 'dump', '--checkpoint-dir', checkpointDir, '--operator', 'totals']);
    // Assess
    expect(done.code, done.stderr).toBe(0);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('500 records in');
    expect(JSON.parse(dump.stdout)).toEqual(countWords([...first, ...more]));
  });

  it('refuses a file replaced under the same path, naming what changed, and counts it once with --from-start', async () => {
    // Prepare: 1,000 lines committed, then the same path rewritten with 1,500 other lines.
    const first = numberedLines(1_000, 'monday');
    const second = numberedLines(1_500, 'tuesday');
    const { file, checkpointDir } = inputFile(first);
    const run = ['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir];
    const done = await runCli(run);
    writeFileSync(file, `${second.join('\n')}\n`);
    // Act: refused; then the way out, the same command again, and a plain run.
    const refused = await runCli(run);
    const fromStart = await runCli([...run, '--from-start']);
    const again = await runCli([...run, '--from-start']);
    const plain = await runCli(run);
    const dump = await runCli(['state', 'dump', '--checkpoint-dir', checkpointDir, '--operator', 'totals']);
    // Assess
    expect(done.code, done.stderr).toBe(0);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `sluice: --source: file:${file} is not the file whose lines 1-1,000 app word-count committed: its first 1,000 lines are different (the file was replaced or rewritten); to count this file from its first line on top of the state, run again with --from-start; to count it apart, give it a new --checkpoint-dir or --app`,
    ]);
    expect(fromStart.code, fromStart.stderr).toBe(0);
    expect(fromStart.stdout).toContain('1,500 records in');
    expect([again.code, plain.code], again.stderr + plain.stderr).toEqual([0, 0]);
    expect([again.stdout, plain.stdout]).toEqual([
      expect.stringContaining('stopped (drained): 0 records'),
      expect.stringContaining('stopped (drained): 0 records'),
    ]);
    expect(JSON.parse(dump.stdout)).toEqual(sum(countWords(first), countWords(second)));
  });
});
