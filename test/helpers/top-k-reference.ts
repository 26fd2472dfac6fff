import { expect } from 'vitest';
import { countOf } from './timed-shards-source';

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

/**
 * Each 1 s-aligned 5 s window holding data of `lines` was printed (one after the data left may print
 * too, empty, as it would on one shard), and every printed window's top 10 is the reference's.
 */
export function expectEveryWindowTop10(
  windows: Iterable<{ readonly startMs: number; readonly endMs: number; readonly top: ReadonlyArray<readonly [string, number]> }>,
  lines: ReadonlyArray<{ readonly arrivalMs: number; readonly line: string }>,
): void {
  const arrivals = lines.map((l) => l.arrivalMs);
  const firstEnd = Math.floor(Math.min(...arrivals) / 1_000) * 1_000 + 1_000;
  const printed = [...windows];
  expect(
    printed
      .filter((w) => w.top.length > 0)
      .map((w) => w.endMs)
      .sort((a, b) => a - b),
  ).toEqual(windowEnds(firstEnd, Math.max(...arrivals)));
  for (const w of printed) expectTop10(w.top, countOf(lines.filter((l) => l.arrivalMs >= w.startMs && l.arrivalMs < w.endMs)));
}
