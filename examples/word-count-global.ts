import { globalWordCount } from './word-count';

/**
 * The default word count (`examples/word-count.ts`: the top 10 of the whole stream, whatever the
 * number of shards) under an app name of its own, so its checkpoints and stages (`word-count-global`,
 * `.s1`, `.s2`) stay apart from the default's.
 *
 * Run it: `npx sluice run --pipeline examples/word-count-global.ts --source file:words.txt --shards 4`.
 */
export default globalWordCount('word-count-global');
