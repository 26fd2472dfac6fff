import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, seededRandom, startCli } from '../../helpers/run-cli';
import { countWords, sampleLines } from '../../helpers/word-records';

describe('sluice run', () => {
  it('gives exact word counts after being killed with SIGKILL at random moments', async () => {
    // Prepare: a file the runner needs several seconds for at the rate given.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kill-'));
    const file = join(dir, 'words.txt');
    const lines = sampleLines(6_000, 11);
    writeFileSync(file, lines.join('\n') + '\n');
    const checkpointDir = join(dir, 'checkpoint');
    const args = ['run', '--source', `file:${file}`, '--checkpoint-dir', checkpointDir, '--max-rate', '1500', '--batch-interval', '100', '--no-backpressure'];
    const seed = Number(process.env.SLUICE_KILL_SEED ?? 20261125);
    const random = seededRandom(seed);

    // Act: kill -9 at several random moments, each after the process had time to start and commit.
    let kills = 0;
    for (let i = 0; i < 5; i++) {
      const child = startCli(args);
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const delayMs = 700 + Math.floor(random() * 900);
      const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      const code = await exited;
      clearTimeout(timer);
      if (code === null) kills++;
    }
    const final = await runCli(args);
    const dump = await runCli(['state', 'dump', '--checkpoint-dir', checkpointDir]);

    // Assess
    expect(kills, `seed ${seed}: the runner finished before being killed; give it more work`).toBeGreaterThanOrEqual(3);
    expect(final.code, final.stderr).toBe(0);
    expect(JSON.parse(dump.stdout)).toEqual(countWords(lines));
  });

  it('prints a one-line error for a missing file and exits non-zero', async () => {
    const result = await runCli(['run', '--source', 'file:/no/such/file.txt', '--checkpoint-dir', mkdtempSync(join(tmpdir(), 'sluice-missing-'))]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sluice: .*\/no\/such\/file\.txt/)]);
  });

  it('refuses another file under the same checkpoint directory instead of skipping its first lines', async () => {
    // Prepare: a run over one file commits lines 1-3; a second file has lines 1-5.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-two-files-'));
    const [first, second] = [join(dir, 'monday.txt'), join(dir, 'tuesday.txt')];
    writeFileSync(first, 'a\nb\nc\n');
    writeFileSync(second, 'v\nw\nx\ny\nz\n');
    const checkpointDir = join(dir, 'checkpoint');
    const done = await runCli(['run', '--source', `file:${first}`, '--checkpoint-dir', checkpointDir]);
    // Act
    const refused = await runCli(['run', '--source', `file:${second}`, '--checkpoint-dir', checkpointDir]);
    const dump = await runCli(['state', 'dump', '--checkpoint-dir', checkpointDir]);
    // Assess
    expect(done.code, done.stderr).toBe(0);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `sluice: source: shard file-0 of app word-count holds the offsets of file:${first} (committed up to 3), not of file:${second}; give this source an app of its own (--app, --checkpoint-dir), or delete the app's checkpoint to start over`,
    ]);
    expect(JSON.parse(dump.stdout)).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('names the option, the value and the rule for an invalid option', async () => {
    const result = await runCli(['run', '--max-rate', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['sluice: --max-rate: must be a whole number of records per second from 1 to 100,000,000 (given "0")']);
  });
});
