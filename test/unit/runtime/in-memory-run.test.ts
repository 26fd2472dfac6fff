import { describe, expect, it } from 'vitest';
import topK from '../../../examples/top-k';
import wordCount from '../../../examples/word-count';
import { pipeline } from '../../../lib/core/pipeline/stream';
import { InMemoryRun } from '../../../lib/compose/in-memory-run';

describe('InMemoryRun', () => {
  it('carries state from batch to batch and reports what print() printed', async () => {
    // Prepare
    const run = new InMemoryRun(wordCount);
    // Act
    const first = await run.batch(['to be or', 'not to be']);
    const second = await run.batch(['to do']);
    // Assess
    expect(await run.state('totals')).toEqual({ to: 3, be: 2, or: 1, not: 1, do: 1 });
    expect([first.batchNo, second.batchNo, second.records]).toEqual([1, 2, 1]);
    expect(second.printed).toHaveLength(1);
    expect(second.printed[0]!.items.slice(0, 2)).toEqual([
      ['to', 3],
      ['be', 2],
    ]);
  });

  it('quarantines a record the pipeline throws on and goes on with the batch', async () => {
    // Prepare
    const strict = pipeline('strict')
      .map((line) => {
        if (line === 'boom') throw new Error('poison');
        return [line, 1] as [string, number];
      })
      .updateStateByKey<string, number, number>((ones, total = 0) => total + ones.length, { merge: (a, b) => a + b });
    const run = new InMemoryRun(strict);
    // Act
    const batch = await run.batch(['a', 'boom', 'a']);
    // Assess
    expect([batch.records, batch.quarantined]).toEqual([3, 1]);
    expect(await run.state()).toEqual({ a: 2 });
  });

  it('closes arrival-time windows with an idle tick once the clock passed their end', async () => {
    // Prepare: top-k's 5 s windows, sliding every second.
    const run = new InMemoryRun(topK, { batchIntervalMs: 1_000 });
    await run.batch(['ant bee ant']);
    // Act: ticks while the source is quiet, one per batch interval.
    const printed = [];
    for (let i = 0; i < 8; i++) printed.push(...(await run.tick()).printed.flatMap((p) => p.items));
    // Assess: every window holding the batch ranked ant first, with 2.
    expect(printed.length).toBeGreaterThan(0);
    expect(printed.filter((line) => String(line).includes('#1'))).not.toHaveLength(0);
    for (const line of printed.filter((l) => String(l).includes('#1'))) expect(String(line)).toMatch(/#1 +ant +2$/);
  });
});
