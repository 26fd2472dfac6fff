import { pipeline, topK } from 'sluice';

/**
 * The default pipeline: split each line on whitespace (empty strings dropped, case kept), count
 * words with running totals across batches, and print the top 10 after every batch.
 *
 * Run it: `npm start` (generator with a spike), `npx sluice run --source file:words.txt`.
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
