/**
 * The smallest string greater than every string starting with `prefix`, in code point (UTF-8 byte)
 * order, or `undefined` when no such bound exists (an empty prefix, or one made only of U+10FFFF).
 * With it a prefix query is the key range `prefix <= sk < bound`, which an index can seek.
 *
 * Appending U+FFFF instead would miss sort keys whose next character lies outside the Basic
 * Multilingual Plane (their UTF-8 bytes sort above U+FFFF's), so the last code point is incremented.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (ch) => ch.codePointAt(0)!);
  while (codePoints.length > 0 && codePoints[codePoints.length - 1] === 0x10ffff) codePoints.pop();
  const last = codePoints.pop();
  if (last === undefined) return undefined;
  // Surrogate code points cannot appear in UTF-8 text: the successor of U+D7FF is U+E000.
  const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
  return String.fromCodePoint(...codePoints, next);
}
