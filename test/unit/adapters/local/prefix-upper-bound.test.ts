import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints } from '../../../../lib/adapters/local/compare-code-points';
import { prefixUpperBound } from '../../../../lib/adapters/local/prefix-upper-bound';
import { trickyString } from '../../../helpers/tricky-strings';

describe('prefixUpperBound', () => {
  it('bounds exactly the strings that start with the prefix', () => {
    fc.assert(
      fc.property(trickyString, trickyString, (prefix, s) => {
        // Act
        const bound = prefixUpperBound(prefix);
        const inRange = compareCodePoints(s, prefix) >= 0 && (bound === undefined || compareCodePoints(s, bound) < 0);
        // Assess
        expect(inRange).toBe(s.startsWith(prefix));
      }),
      {
        examples: [
          ['k', 'k\u{10FFFF}x'],
          ['a\u{10FFFF}', 'a\u{10FFFF}\u{10FFFF}'],
          ['\uD7FF', '\uD7FF!'],
        ],
      },
    );
  });

  it.each([
    ['state#a', 'state#b'],
    ['k\u{10FFFF}', 'l'],
    ['\uD7FF', '\uE000'],
    ['\uFFFF', '\u{10000}'],
  ])('returns %j → %j', (prefix, expected) => {
    // Act
    const bound = prefixUpperBound(prefix);
    // Assess
    expect(bound).toBe(expected);
  });

  it('returns undefined when no string bounds the prefix', () => {
    // Act
    const bounds = [prefixUpperBound(''), prefixUpperBound('\u{10FFFF}\u{10FFFF}')];
    // Assess
    expect(bounds).toEqual([undefined, undefined]);
  });
});
