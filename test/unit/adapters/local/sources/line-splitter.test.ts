import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../../../lib/adapters/local/sources/line-splitter';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (lines: Uint8Array[]): string[] => lines.map((line) => new TextDecoder().decode(line));

/** The line rule on a whole buffer: split at \n, drop one trailing \r, no phantom last line. */
function referenceLines(content: number[]): number[][] {
  const lines: number[][] = [[]];
  for (const byte of content) {
    if (byte === 0x0a) lines.push([]);
    else lines[lines.length - 1]!.push(byte);
  }
  if (lines[lines.length - 1]!.length === 0) lines.pop();
  return lines.map((line) => (line[line.length - 1] === 0x0d ? line.slice(0, -1) : line));
}

describe('LineSplitter', () => {
  describe('push', () => {
    it('returns complete lines and keeps the unfinished one', () => {
      // Prepare
      const splitter = new LineSplitter();

      // Act
      const first = splitter.push(bytes('one\r\ntw'));
      const second = splitter.push(bytes('o\n\nthr'));
      const last = splitter.end();

      // Assess
      expect(decode(first)).toEqual(['one']);
      expect(decode(second)).toEqual(['two', '']);
      expect(decode(last)).toEqual(['thr']);
    });

    it('splits any content by the line rule whatever the chunking', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.integer({ min: 0, max: 200 })), (content, cuts) => {
          // Prepare
          const expected = referenceLines(Array.from(content));
          const boundaries = [...new Set([0, ...cuts.filter((c) => c < content.length), content.length])].sort((a, b) => a - b);
          const splitter = new LineSplitter();

          // Act
          const actual: Uint8Array[] = [];
          for (let i = 1; i < boundaries.length; i++) actual.push(...splitter.push(content.subarray(boundaries[i - 1], boundaries[i])));
          actual.push(...splitter.end());

          // Assess
          expect(actual.map((line) => Array.from(line))).toEqual(expected);
        }),
      );
    });

    it('copies an unfinished line, so a reused chunk buffer cannot change it', () => {
      // Prepare
      const splitter = new LineSplitter();
      const chunk = bytes('abc');

      // Act
      splitter.push(chunk);
      chunk.fill(0x7a);
      const lines = splitter.push(bytes('\n'));

      // Assess
      expect(decode(lines)).toEqual(['abc']);
    });
  });

  describe('end', () => {
    it('returns nothing after a final newline', () => {
      // Prepare
      const splitter = new LineSplitter();
      splitter.push(bytes('a\n'));

      // Act
      const last = splitter.end();

      // Assess
      expect(last).toEqual([]);
    });
  });
});
