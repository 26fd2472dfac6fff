import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints } from '../../../../lib/adapters/local/compare-code-points';
import { trickyString } from '../../../helpers/tricky-strings';

describe('compareCodePoints', () => {
  it('orders like the UTF-8 bytes of the strings', () => {
    fc.assert(
      fc.property(trickyString, trickyString, (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
    );
  });

  it('puts U+FFFF before a character outside the Basic Multilingual Plane, unlike <', () => {
    // Act
    const order = compareCodePoints('\uFFFF', '\u{1F600}');
    // Assess
    expect(order).toBeLessThan(0);
    expect('\uFFFF' < '\u{1F600}').toBe(false);
  });
});
