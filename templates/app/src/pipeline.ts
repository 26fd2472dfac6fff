import { pipeline, topK } from 'sluice';

/**
 * {{name}}: counts the words of every line, keeps running totals across batches (checkpointed,
 * exactly once), and prints the top 10 after each batch. Change it, then `npm test` and `npm start`.
 */
export default pipeline('{{name}}')
  .flatMap((line) => line.split(/\s+/))
  .filter((word) => word.length > 0)
  .countByValue()
  .updateStateByKey<string, number, number>((counts, total = 0) => counts.reduce((sum, n) => sum + n, total), {
    name: 'totals',
    merge: (a, b) => a + b, // how two shards' partial totals combine
  })
  .transform((totals) => topK(totals, 10, ([, count]) => count))
  .print(10);
