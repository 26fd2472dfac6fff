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

  it('names the option, the value and the rule for an invalid option', async () => {
    const result = await runCli(['run', '--max-rate', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sluice: --max-rate: .*>=1.*given "0"/);
  });
});
