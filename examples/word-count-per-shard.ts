import { pipeline, topK } from 'sluice';

/**
 * The word count of one shard: split each line on whitespace (empty strings dropped, case kept),
 * count words with running totals across batches, and print the top 10 of this shard after every
 * batch. On a stream of several shards each shard prints its own top 10; `examples/word-count.ts`
 * prints the stream's.
 *
 * This is the pipeline the Lambda side deploys (`cdk/word-count-stack.ts`, `sluice dev` and `sluice
 * replay` by default) until the processor runs pipelines with exchanges: it keeps the app name
 * `word-count`, so switching the deployed app to `examples/word-count.ts` keeps its resources' names.
 *
 * Run it: `npx sluice run --pipeline examples/word-count-per-shard.ts --source file:words.txt`.
 */
export default pipeline('word-count')
  .flatMap((line) => line.split(/\s+/))
  .filter((word) => word.length > 0)
  .countByValue()
  .updateStateByKey<string, number, number>((counts, total = 0) => counts.reduce((sum, n) => sum + n, total), {
    name: 'totals',
    merge: (a, b) => a + b,
  })
  .transform((totals) => topK(totals, 10, ([, count]) => count))
  .print(10);
