import { expect } from 'vitest';

/** The top 10 of `counts`; ties make the words at the cut arbitrary, so this compares counts and each word's own count. */
export function expectTop10(actual: ReadonlyArray<readonly [string, number]>, counts: ReadonlyMap<string, number>): void {
  expect(actual.map(([, n]) => n)).toEqual([...counts.values()].sort((a, b) => b - a).slice(0, 10));
  for (const [word, n] of actual) expect(counts.get(word)).toBe(n);
}

/** Ends of the 5 s windows sliding by 1 s that hold data: from `firstEnd` until a window starts after `lastArrivalMs`. */
export function windowEnds(firstEnd: number, lastArrivalMs: number): number[] {
  const ends: number[] = [];
  for (let end = firstEnd; end - 5_000 <= lastArrivalMs; end += 1_000) ends.push(end);
  return ends;
}
