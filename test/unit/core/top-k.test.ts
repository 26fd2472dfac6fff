import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topK } from '../../../lib/core/util/top-k';

describe('topK', () => {
  it('returns the k highest items, highest first, earlier items winning ties', () => {
    expect(
      topK(
        [
          ['a', 1],
          ['b', 3],
          ['c', 2],
          ['d', 3],
        ],
        2,
        ([, n]) => n as number,
      ),
    ).toEqual([
      ['b', 3],
      ['d', 3],
    ]);
  });

  it('equals a stable sort by descending score, truncated', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 })), fc.integer({ min: 0, max: 30 }), (xs, k) => {
        const items = xs.map((score, i) => ({ score, i }));
        const expected = [...items].sort((a, b) => b.score - a.score).slice(0, k);
        expect(topK(items, k, (x) => x.score)).toEqual(expected);
      }),
    );
  });
});
