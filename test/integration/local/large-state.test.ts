import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../../helpers/run-cli';

/**
 * `lines` lines of 10 words over `distinct` words, each word `distinct * 3 / (lines * 10)`... exactly 3
 * times: word i appears in lines (i, i + n/3, i + 2n/3) modulo the line count, so every batch
 * touches keys all over the state, as the issue's 400,000-word file does.
 */
function threeTimesEach(distinct: number): { text: string; lines: number } {
  const words = Array.from({ length: distinct }, (_, i) => `w${i.toString(36)}`);
  const all: string[] = [];
  for (let round = 0; round < 3; round++) for (let i = 0; i < distinct; i++) all.push(words[(i * 7919 + round * 104_729) % distinct]!);
  const lines: string[] = [];
  for (let i = 0; i < all.length; i += 10) lines.push(all.slice(i, i + 10).join(' '));
  return { text: `${lines.join('\n')}\n`, lines: lines.length };
}

describe('sluice run with a state of many keys', () => {
  it('counts 60,000 distinct words seen 3 times each exactly, through snapshots and deltas, with nothing set aside, killed once', async () => {
    // Prepare: 18,000 lines; 3,000 lines a batch, so every batch changes most of the state.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-large-state-'));
    const file = join(dir, 'keys.txt');
    const { text } = threeTimesEach(60_000);
    writeFileSync(file, text);
    const checkpointDir = join(dir, 'checkpoint');
    const args = [
      'run',
      '--pipeline',
      'examples/word-count-per-shard.ts',
      '--source',
      `file:${file}`,
      '--checkpoint-dir',
      checkpointDir,
      '--max-rate',
      '30000',
      '--batch-interval',
      '100',
      '--no-backpressure',
    ];
    // Act: kill -9 once, after a few batches, then run to the end.
    const first = startCli(args);
    const killed = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
    setTimeout(() => first.kill('SIGKILL'), 3_500);
    await killed;
    const final = await runCli(args);
    const dump = await runCli(['state', 'dump', '--pipeline', 'examples/word-count-per-shard.ts', '--checkpoint-dir', checkpointDir]);
    // Assess
    expect(final.code, final.stderr).toBe(0);
    const counts = JSON.parse(dump.stdout) as Record<string, number>;
    expect(Object.keys(counts)).toHaveLength(60_000);
    expect(Object.values(counts).every((n) => n === 3)).toBe(true);
    expect(existsSync(join(checkpointDir, 'objects', 'quarantine'))).toBe(false);
    const stateObjects = readdirSync(join(checkpointDir, 'objects', 'state', 'word-count', 'file-0'));
    expect(stateObjects.some((name) => name.endsWith('.snapshot'))).toBe(true);
  });

  it('stops with one line naming the memory to add when the state outgrows its budget, and sets nothing aside', async () => {
    // Prepare: 30,000 distinct words (about 4 MB in memory) against a budget of 1 MB.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-state-budget-'));
    const file = join(dir, 'keys.txt');
    writeFileSync(file, threeTimesEach(30_000).text);
    const checkpointDir = join(dir, 'checkpoint');
    // Act
    const run = await runCli([
      'run',
      '--pipeline',
      'examples/word-count-per-shard.ts',
      '--source',
      `file:${file}`,
      '--checkpoint-dir',
      checkpointDir,
      '--state-memory',
      '1',
      '--no-backpressure',
    ]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^sluice: shard file-0: its state \(30,000 keys, about \d+ MB in memory\) does not fit this process's budget of 1 MB .*raise --state-memory, or spread the keys over more shards$/,
      ),
    ]);
    expect(existsSync(join(checkpointDir, 'objects', 'quarantine'))).toBe(false);
  });
});
