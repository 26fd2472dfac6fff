import { seededRandom } from '../lib/core/util/seeded-random';

/**
 * Deterministic ~100-byte lines of words with a Zipf-like frequency, for benchmarks: a vocabulary of
 * 5,000 words, so a batch touches most keys the way real text does.
 */
export function wordLines(seed: number, count: number, vocabularySize = 5_000): string[] {
  const rand = seededRandom(seed);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const vocabulary = Array.from({ length: vocabularySize }, () =>
    Array.from({ length: 2 + Math.floor(rand() * 8) }, () => letters[Math.floor(rand() * 26)]).join(''),
  );
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    let line = '';
    while (line.length < 95) line += (line ? ' ' : '') + vocabulary[Math.floor(vocabularySize * rand() ** 3)];
    lines.push(line);
  }
  return lines;
}
