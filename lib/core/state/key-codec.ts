/**
 * Keys of keyed operators become strings for maps and storage. Strings map to themselves (the hot
 * path of word counts); anything else becomes `\u0001` + JSON, and so do strings that start with
 * `\u0001`, so the mapping is one-to-one and `decodeKey(encodeKey(k))` equals `k`.
 */
const MARK = '\u0001';

export function encodeKey(key: unknown): string {
  if (typeof key === 'string' && key.charCodeAt(0) !== 1) return key;
  return MARK + JSON.stringify(key);
}

export function decodeKey(encoded: string): unknown {
  return encoded.charCodeAt(0) === 1 ? JSON.parse(encoded.slice(1)) : encoded;
}
