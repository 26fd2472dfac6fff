import { pipeline, topK } from 'sluice';

/**
 * The default pipeline: split each line on whitespace (empty strings dropped, case kept), count
 * words with running totals across batches, and print the top 10 of the whole stream after every
 * batch, whatever the number of shards.
 *
 * - `keyBy((word) => word)` ends the first stage: each batch counts its words (map-side combine) and
 *   sends each word's count to the partition that owns the word, so a word's total is the stream's.
 * - Each partition sends its own top 10 to `global()`, which keeps the latest count of each word
 *   that was in some partition's top 10 and prints the top 10 of those. Totals only grow, so a word
 *   that left its partition's top 10 is beaten by ten fresher words there and never shows stale.
 *
 * Run it: `npm start` (generator with a spike), `npx sluice run --source file:words.txt --shards 4`.
 * The per-shard version, one top 10 per shard, is `examples/word-count-per-shard.ts`.
 */
export default globalWordCount('word-count');

/** The global word count under the app name `name` (`examples/word-count-global.ts` is the same, named apart). */
export function globalWordCount(name: string) {
  return pipeline(name)
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
}
