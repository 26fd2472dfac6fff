/**
 * A seeded pseudo-random generator (mulberry32, full 2^32 period) returning numbers in [0, 1). The
 * core takes no randomness from the platform, so everything drawn from a seed — the simulator's cost
 * jitter, the generator's records, benchmark data — is the same on every run and every Node version.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
