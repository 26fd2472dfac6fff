import { pipeline, topK, type Windowed } from 'sluice';

/** Length of a window and how often a new one starts: the top 10 of the last 5 s, every second. */
const WINDOW_MS = 5_000;
const SLIDE_MS = 1_000;

/**
 * Top 10 words per sliding window of the whole stream, whatever the number of shards: Spark's
 * `reduceByKeyAndWindow` with an inverse function (each slide adds the second that entered the
 * window and subtracts the second that left it), after `keyBy()`.
 *
 * - `keyBy()` sends each `[word, 1]` to the partition that owns the word, with its arrival time: a
 *   word's window counts are complete there, and a window closes only once every source shard has
 *   passed its end (the exchange's watermark is the least over the shards that feed it).
 * - Each partition's closed window goes to `global()`, filed under the window's last millisecond:
 *   a one-slide window there gathers every partition's part of the same window, and ranks them.
 *
 * Printed one line per word, ranked. Run it: `npx sluice run --pipeline examples/top-k.ts --source
 * generator --duration 5 --shards 4`. One ranking per shard: `examples/top-k-per-shard.ts`.
 */
export default pipeline('top-k')
  .flatMap((line) => line.split(/\s+/))
  .filter((word) => word.length > 0)
  .map((word) => [word, 1] as [string, number])
  .keyBy()
  .reduceByKeyAndWindow((a, b) => a + b, { name: 'word-windows', windowMs: WINDOW_MS, slideMs: SLIDE_MS, inverse: (a, b) => a - b })
  .global()
  .window({ name: 'gather', windowMs: SLIDE_MS })
  .flatMap((gathered) => ranked(gathered))
  .print(10);

/** One line per word of the stream's top 10 of a window, from the parts every partition sent of it. */
function ranked(gathered: Windowed<Array<Windowed<Array<[string, number]>>>>): string[] {
  const startMs = gathered.endMs - WINDOW_MS;
  return topK(
    gathered.value.flatMap((part) => part.value),
    10,
    ([, count]) => count,
  ).map(([word, count], i) => `${clock(startMs)}-${clock(gathered.endMs)}  #${String(i + 1).padEnd(2)} ${word.padEnd(12)} ${count}`);
}

/** `HH:MM:SS` of a time in UTC: windows are aligned to whole seconds. */
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
