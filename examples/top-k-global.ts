import { pipeline, topK, type Windowed } from 'sluice';

/** Length of a window and how often a new one starts: the top 10 of the last 5 s, every second. */
const WINDOW_MS = 5_000;
const SLIDE_MS = 1_000;

/**
 * One top 10 per sliding window for the whole stream, whatever the number of shards.
 *
 * - `keyBy()` sends each `[word, 1]` to the partition that owns the word, with its arrival time:
 *   each word's window counts are complete there, and a window closes only once every source shard
 *   has passed its end (the exchange's watermark is the least over the shards that feed it).
 * - Each partition's closed window goes to `global()`, filed under the window's last millisecond:
 *   a one-slide window there gathers every partition's part of the same window, and closes once
 *   every partition has passed it. Its top 10 is the stream's.
 *
 * Run it: `npx sluice run --pipeline examples/top-k-global.ts --source generator --duration 8`.
 */
export default pipeline('top-k-global')
  .flatMap((line) => line.split(/\s+/))
  .filter((word) => word.length > 0)
  .map((word) => [word, 1] as [string, number])
  .keyBy()
  .reduceByKeyAndWindow((a, b) => a + b, { name: 'word-windows', windowMs: WINDOW_MS, slideMs: SLIDE_MS, inverse: (a, b) => a - b })
  .global()
  .window({ name: 'gather', windowMs: SLIDE_MS })
  .map((gathered) => top10(gathered))
  .print(20);

/** The top 10 of one window, from the parts every partition sent of it. */
function top10(gathered: Windowed<Array<Windowed<Array<[string, number]>>>>): { startMs: number; endMs: number; top: Array<[string, number]> } {
  return {
    startMs: gathered.endMs - WINDOW_MS,
    endMs: gathered.endMs,
    top: topK(
      gathered.value.flatMap((part) => part.value),
      10,
      ([, count]) => count,
    ),
  };
}
