/**
 * Seeded pseudo-randomness for the generator: a stateless 32-bit hash to derive one independent
 * stream per (seed, record number), and the core's mulberry32 to draw from it. Hand-written because the whole
 * point is that a replay after `kill -9` draws exactly the same numbers, on any Node version.
 */

/** Murmur3's 32-bit finalizer: a bijective mix, so distinct inputs keep distinct outputs. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Derives the 32-bit state of stream `index` (a non-negative safe integer) under `seed`.
 * Both halves of the index are mixed in, so record 1 and record 2^32 + 1 differ.
 */
export function streamState(seed: number, index: number): number {
  const low = index >>> 0;
  const high = Math.floor(index / 0x1_0000_0000) >>> 0;
  return mix32(mix32(seed ^ 0x9e3779b9) ^ mix32(low) ^ mix32(high ^ 0x85ebca6b));
}

/** A uniform draw in [0, 1). */
export type Random = () => number;

/** mulberry32 seeded with a stream's state: the core's one seeded generator. */
export { seededRandom as mulberry32 } from '../../../core/util/seeded-random';
