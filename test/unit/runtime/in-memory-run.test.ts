import { describe, expect, it } from 'vitest';
import topK from '../../../examples/top-k';
import wordCountGlobal from '../../../examples/word-count-global';
import topKGlobal from '../../../examples/top-k-global';
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

  it('runs every stage of a pipeline with exchanges in one batch, and reads a state from the stage that holds it', async () => {
    // Prepare
    const run = new InMemoryRun(wordCountGlobal);
    // Act
    const first = await run.batch(['to be or', 'not to be']);
    const second = await run.batch(['to do', 'be']);
    // Assess: the global totals (stage 1, one value per key), the leaders (stage 2), and the top 10 printed by stage 2.
    expect(run.stages).toBe(3);
    expect(await run.state('totals')).toEqual({ to: 3, be: 3, or: 1, not: 1, do: 1 });
    expect(await run.state()).toEqual({ to: 3, be: 3, or: 1, not: 1, do: 1 });
    expect([first.batchNo, second.batchNo, second.records]).toEqual([1, 2, 2]);
    expect(second.printed.map((p) => p.stage)).toEqual([2]);
    expect(second.printed[0]!.items.slice(0, 2)).toEqual([
      ['to', 3],
      ['be', 3],
    ]);
    await expect(run.state('nope')).rejects.toThrow(/no stateful operator "nope" \(have: totals, leaders\)/);
  });

  it('closes windows after an exchange as the clock passes them, and every one holding data at the end of the input', async () => {
    // Prepare: the global top 10 per 5 s window, sliding every second.
    const run = new InMemoryRun(topKGlobal);
    const windows = (printed: ReadonlyArray<{ items: readonly unknown[] }>): Array<{ endMs: number; top: Array<[string, number]> }> =>
      printed.flatMap((p) => p.items as Array<{ endMs: number; top: Array<[string, number]> }>);
    // Act
    const seen = [];
    seen.push(...windows((await run.batch(['a b a'])).printed));
    seen.push(...windows((await run.batch(['b c'])).printed));
    for (let i = 0; i < 3; i++) seen.push(...windows((await run.tick()).printed));
    const beforeEnd = seen.length;
    seen.push(...windows((await run.end()).printed));
    // Assess: the first windows closed on ticks, before the end; the end closed the rest (5 s windows: 6 hold data).
    expect(beforeEnd).toBeGreaterThan(0);
    expect(seen.length).toBe(6);
    expect(seen[1]!.top).toEqual([
      ['a', 2],
      ['b', 2],
      ['c', 1],
    ]);
    expect(seen.map((w) => w.endMs)).toEqual([1, 2, 3, 4, 5, 6].map((s) => Date.UTC(2026, 0, 1) + s * 1_000));
  });
});
