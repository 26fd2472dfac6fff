import { InMemoryRun } from 'sluice/testing';
import { describe, expect, it } from 'vitest';
import wordCount from '../src/pipeline';

describe('the pipeline', () => {
  it('keeps running totals across batches', async () => {
    // Each batch() is one micro-batch, run in memory through the protocol sluice runs on Lambda.
    const run = new InMemoryRun(wordCount);
    await run.batch(['to be or', 'not to be']);
    const second = await run.batch(['to do']);
    expect(await run.state()).toEqual({ to: 3, be: 2, or: 1, not: 1, do: 1 });
    expect(second.printed[0]?.items.slice(0, 2)).toEqual([['to', 3], ['be', 2]]);
  });
});
