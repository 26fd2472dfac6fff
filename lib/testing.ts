/**
 * `sluice/testing`: run a pipeline's micro-batches in memory, in a unit test, through the same
 * protocol as `sluice run` and Lambda.
 *
 * @example
 * import { InMemoryRun } from 'sluice/testing';
 * const run = new InMemoryRun(wordCount);
 * await run.batch(['to be or not to be']);
 * expect(await run.state()).toEqual({ to: 2, be: 2, or: 1, not: 1 });
 *
 * @packageDocumentation
 */
export { InMemoryRun } from './compose/in-memory-run';
export type { InMemoryRunOptions, InMemoryBatch, PrintedItems } from './compose/in-memory-run';
