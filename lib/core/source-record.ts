/**
 * One record as read from a shard: Kinesis' fields, named the way the WAL stores them.
 * `seq` is a decimal string (Kinesis sequence numbers exceed 2^64), compared with {@link compareSeq}.
 */
export interface SourceRecord {
  readonly seq: string;
  /** Arrival time at the source (Kinesis `approximateArrivalTimestamp`), ms since the epoch. */
  readonly arrivalMs: number;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** Orders two sequence numbers numerically: negative, zero or positive like `Array.sort` wants. */
export function compareSeq(a: string, b: string): number {
  // Equal-length decimal strings without leading zeros compare like numbers; fall back to BigInt.
  if (a.length !== b.length) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Width of zero-padded sequence numbers in stored keys: Kinesis' are up to 56 digits. */
export const SEQ_PAD_WIDTH = 60;

/** Zero-pads a sequence number so that stored strings sort like the numbers they hold. */
export function padSeq(seq: string): string {
  return BigInt(seq).toString().padStart(SEQ_PAD_WIDTH, '0');
}
