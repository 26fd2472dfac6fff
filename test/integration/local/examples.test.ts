import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli';

describe('the examples, run with sluice run over a file', () => {
  it('top-k prints the top words of its sliding windows, which idle ticks close once the file is read', async () => {
    // Prepare: a file last written an hour ago (a file's records arrive at its modification time).
    const dir = mkdtempSync(join(tmpdir(), 'sluice-top-k-'));
    const file = join(dir, 'words.txt');
    writeFileSync(file, ['ant bee ant', 'cat ant bee', 'ant'].join('\n') + '\n');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(file, anHourAgo, anHourAgo);
    // Act
    const run = await runCli(['run', '--pipeline', 'examples/top-k.ts', '--source', `file:${file}`, '--checkpoint-dir', join(dir, 'cp')]);
    // Assess: each of the 5 windows holding the records ranks the same words.
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/#1 +ant +4\n/);
    expect(run.stdout).toMatch(/#2 +bee +2\n/);
    expect(run.stdout).toMatch(/#3 +cat +1\n/);
    expect(run.stdout).toMatch(/stopped \(drained\): 3 records/);
  });

  it.each([
    ['the default word count', [], /\(ant,4\)\n\(bee,3\)\n\(cat,1\)\n/],
    ['top-k', ['--pipeline', 'examples/top-k.ts'], /#1 +ant +4\n.*#2 +bee +3\n.*#3 +cat +1\n/s],
  ])('%s gives the answer of the whole stream on 4 shards, though no shard holds more than one line', async (_, pipelineArgs, expected) => {
    // Prepare: line i goes to shard i mod 4; `ant` is on three shards, `bee` on three.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-global-'));
    const file = join(dir, 'words.txt');
    writeFileSync(file, ['ant bee ant', 'cat ant bee', 'ant', 'bee'].join('\n') + '\n');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(file, anHourAgo, anHourAgo);
    // Act
    const run = await runCli(['run', ...pipelineArgs, '--source', `file:${file}`, '--shards', '4', '--checkpoint-dir', join(dir, 'cp')]);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(expected);
    expect(run.stdout).toMatch(/stopped \(drained\): 4 records/);
  });

  it('sessions prints the closed sessions of the sample clicks, as the README shows them', async () => {
    // Act
    const dir = mkdtempSync(join(tmpdir(), 'sluice-sessions-'));
    const run = await runCli(['run', '--pipeline', 'examples/sessions.ts', '--source', 'file:examples/clicks.ndjson', '--checkpoint-dir', join(dir, 'cp')]);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('ana      2026-01-12T09:00Z   14 min    5 clicks  / /checkout /cart');
    expect(run.stdout).toContain('bo       2026-01-12T11:30Z    0 min    1 clicks  /search');
    expect(run.stdout).toContain('dee      2026-01-12T11:00Z    5 min    2 clicks  /checkout');
  });
});
