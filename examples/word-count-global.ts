import { pipeline, topK } from 'sluice';

/**
 * The word count with one answer for the whole stream, whatever the number of shards: the top 10
 * of the running totals across every shard, as Spark's `reduceByKey` and `rdd.top(10)` give.
 *
 * - `keyBy((word) => word)` ends the first stage: each batch counts its words (map-side combine)
 *   and sends each word's count to the partition that owns the word. A word's total lives in one
 *   place, so it is the stream's total.
 * - Each partition keeps its words' totals and sends its own top 10 to `global()`: one owner keeps
 *   the latest count of every word that was in some partition's top 10 and prints the top 10 of
 *   those. Totals only grow, so a word that left its partition's top 10 is beaten by ten fresher
 *   words of that partition and never shows in the answer with a stale count.
 *
 * Run it: `npx sluice run --pipeline examples/word-count-global.ts --source file:words.txt --shards 4`.
 */
export default pipeline('word-count-global')
  .flatMap((line) => line.split(/\s+/))
  .filter((word) => word.length > 0)
  .keyBy((word) => word)
  .countByValue()
  .updateStateByKey<string, number, number>((counts, total = 0) => counts.reduce((sum, n) => sum + n, total), { name: 'totals' })
  .transform((totals) => topK(totals, 10, ([, count]) => count))
  .global()
  .updateStateByKey<string, number, number>((latest) => latest[latest.length - 1], { name: 'leaders' })
  .transform((leaders) => topK(leaders, 10, ([, count]) => count))
  .print(10);
