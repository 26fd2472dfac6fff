import { pipeline, topK } from 'sluice';

/** Length of a window and how often a new one starts: the top 10 of the last 5 s, every second. */
const WINDOW_MS = 5_000;
const SLIDE_MS = 1_000;

/**
 * Top 10 words per sliding window, Spark's `reduceByKeyAndWindow` with an inverse function: each
 * slide adds the counts of the second that entered the window and subtracts those of the second
 * that left it, instead of recounting five seconds of words. Windows follow arrival time and are
 * printed when the watermark passes their end; one line per word, ranked. Each shard ranks its own
 * records: `examples/top-k.ts` ranks the stream's. What `sluice dev` runs until the Lambda processor
 * runs pipelines with exchanges (it keeps the app name `top-k`).
 *
 * Run it: `npx sluice run --pipeline examples/top-k-per-shard.ts --source generator --duration 5`.
 */
export default pipeline('top-k')
  .flatMap((line) => line.split(/\s+/))
  .filter((word) => word.length > 0)
  .map((word) => [word, 1])
  .reduceByKeyAndWindow((a, b) => a + b, {
    name: 'word-windows',
    windowMs: WINDOW_MS,
    slideMs: SLIDE_MS,
    inverse: (a, b) => a - b,
  })
  .flatMap((window) =>
    topK(window.value, 10, ([, count]) => count).map(
      ([word, count], i) => `${clock(window.startMs)}-${clock(window.endMs)}  #${String(i + 1).padEnd(2)} ${word.padEnd(12)} ${count}`,
    ),
  )
  .print(10);

/** `HH:MM:SS` of a time in UTC: windows are aligned to whole seconds. */
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
