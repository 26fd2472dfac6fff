/**
 * Orders strings by Unicode code point, which is the order of their UTF-8 bytes: how DynamoDB
 * sorts string sort keys, how S3 lists keys and how SQLite's BINARY collation compares text.
 *
 * JavaScript's `<` compares UTF-16 code units instead, which puts a character outside the Basic
 * Multilingual Plane (a surrogate pair, 0xD800–0xDFFF) before U+E000–U+FFFF. At the first differing
 * unit this remaps surrogates above that range, which restores code point order.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
