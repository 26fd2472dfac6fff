import { mulberry32, streamState, type Random } from './seeded-random';

const CONSONANTS = 'bcdfghjklmnprstvz';
const VOWELS = 'aeiou';

/** Exponent of the rank-frequency law: 1.0 is the classic Zipf shape of word counts in text. */
export const ZIPF_EXPONENT = 1.0;

/**
 * A vocabulary of pronounceable made-up words with Zipf-distributed frequencies: the word of rank r
 * is drawn with probability proportional to 1 / r^{@link ZIPF_EXPONENT}. Built once from the seed,
 * so every process with the same seed has the same words in the same order.
 */
export class ZipfVocabulary {
  /** Words by rank (index 0 is the most frequent). */
  readonly words: readonly string[];
  private readonly cumulative: Float64Array;

  constructor(seed: number, size: number) {
    const random = mulberry32(streamState(seed, 0) ^ 0x5bd1e995);
    const seen = new Set<string>();
    const words: string[] = [];
    // Retrying on a duplicate keeps ranks unique, so each rank has its own count in a word count.
    while (words.length < size) {
      const word = makeWord(random, seen.size);
      if (!seen.has(word)) {
        seen.add(word);
        words.push(word);
      }
    }
    this.words = words;
    this.cumulative = new Float64Array(size);
    let total = 0;
    for (let rank = 0; rank < size; rank++) {
      total += 1 / Math.pow(rank + 1, ZIPF_EXPONENT);
      this.cumulative[rank] = total;
    }
  }

  /** Draws one word: inverse CDF by binary search over the cumulative weights. */
  draw(random: Random): string {
    const target = random() * this.cumulative[this.cumulative.length - 1]!;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle]! > target) high = middle;
      else low = middle + 1;
    }
    return this.words[low]!;
  }
}

/** Alternates consonants and vowels, 3 to 8 letters; longer words appear as the vocabulary fills. */
function makeWord(random: Random, existing: number): string {
  const length = 3 + Math.floor(random() * (existing < 200 ? 3 : 6));
  let word = '';
  for (let i = 0; i < length; i++) {
    const letters = i % 2 === 0 ? CONSONANTS : VOWELS;
    word += letters[Math.floor(random() * letters.length)];
  }
  return word;
}
