/** Places an encoded key in one of `bucketCount` buckets by its 32-bit FNV-1a hash (stable forever). */
export function bucketOf(encodedKey: string, bucketCount: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < encodedKey.length; i++) {
    h ^= encodedKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % bucketCount;
}
