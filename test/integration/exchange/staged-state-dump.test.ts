import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli';
import { countOf, timedCorpus } from '../../helpers/timed-shards-source';

const PIPELINE = join(import.meta.dirname, '../../../examples/word-count-global.ts');

describe('sluice state dump, a pipeline with exchanges', () => {
  it('dumps the state of the stage that holds the operator, global per key, and names that stage', async () => {
    // Prepare: word-count-global run to the end on a file read as 4 shards.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-staged-dump-'));
    const lines = timedCorpus(600, 1, 0, 1, 5);
    const file = join(dir, 'words.txt');
    writeFileSync(file, lines.map((l) => l.line).join('\n') + '\n');
    const ck = join(dir, 'ck');
    const run = await runCli(['run', '--pipeline', PIPELINE, '--source', `file:${file}`, '--shards', '4', '--checkpoint-dir', ck, '--batch-interval', '20']);
    expect(run.code).toBe(0);
    // Act
    const totals = await runCli(['state', 'dump', '--pipeline', PIPELINE, '--checkpoint-dir', ck, '--operator', 'totals']);
    const leaders = await runCli(['state', 'dump', '--pipeline', PIPELINE, '--checkpoint-dir', ck]);
    const missing = await runCli(['state', 'dump', '--pipeline', PIPELINE, '--checkpoint-dir', ck, '--operator', 'nope']);
    // Assess: every word once with its total over the 4 shards (stage 1), the leaders from stage 2.
    expect(totals.code).toBe(0);
    expect(totals.stderr).toBe('totals: stage 1 of 3 (app word-count-global.s1)\n');
    expect(new Map(Object.entries(JSON.parse(totals.stdout) as Record<string, number>))).toEqual(countOf(lines));
    expect(leaders.code).toBe(0);
    expect(leaders.stderr).toBe('leaders: stage 2 of 3 (app word-count-global.s2)\n');
    const top = Object.values(JSON.parse(leaders.stdout) as Record<string, number>).sort((a, b) => b - a);
    expect(top.slice(0, 10)).toEqual([...countOf(lines).values()].sort((a, b) => b - a).slice(0, 10));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/no stateful operator "nope" \(have: totals, leaders\)/);
  }, 120_000);
});
