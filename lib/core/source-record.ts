/**
 * One record as read from a shard: Kinesis' fields, named the way the WAL stores them.
 * `seq` is a decimal string (Kinesis sequence numbers exceed 2^64), compared with {@link compareSeq};
 * a user record of a KPL aggregate has `{seq}.{sub}` ({@link subSeq}).
 */
export interface SourceRecord {
  readonly seq: string;
  /** Arrival time at the source (Kinesis `approximateArrivalTimestamp`), ms since the epoch. */
  readonly arrivalMs: number;
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/**
 * Orders two sequence numbers numerically: negative, zero or positive like `Array.sort` wants.
 *
 * A user record of a KPL aggregate has the sequence number `{seq}.{sub}`: its Kinesis record's, then
 * its index in the aggregate (KCL's sub-sequence number). They order after every lower `seq` and by
 * `sub` within one, and a plain `{seq}` orders after all its sub-records (it stands for the whole
 * Kinesis record), so that committing `{seq}.{sub}` acknowledges exactly the user records up to it.
 */
export function compareSeq(a: string, b: string): number {
  const dotA = a.indexOf('.');
  const dotB = b.indexOf('.');
  if (dotA < 0 && dotB < 0) return compareDigits(a, b);
  const byRecord = compareDigits(dotA < 0 ? a : a.slice(0, dotA), dotB < 0 ? b : b.slice(0, dotB));
  if (byRecord !== 0) return byRecord;
  const subA = dotA < 0 ? Infinity : Number(a.slice(dotA + 1));
  const subB = dotB < 0 ? Infinity : Number(b.slice(dotB + 1));
  return subA < subB ? -1 : subA > subB ? 1 : 0;
}

function compareDigits(a: string, b: string): number {
  // Equal-length decimal strings without leading zeros compare like numbers; fall back to BigInt.
  if (a.length !== b.length) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The sequence number `{seq}.{sub}` of the `sub`-th user record of the aggregated Kinesis record `seq`. */
export function subSeq(seq: string, sub: number): string {
  return `${seq}.${sub}`;
}

/** The Kinesis sequence number of a record: itself, or the aggregate's that holds a user record. */
export function kinesisSeqOf(seq: string): string {
  const dot = seq.indexOf('.');
  return dot < 0 ? seq : seq.slice(0, dot);
}

/** Width of zero-padded sequence numbers in stored keys: Kinesis' are up to 56 digits. */
export const SEQ_PAD_WIDTH = 60;

/** Width of the zero-padded sub-sequence number of a user record of an aggregate, in stored keys. */
const SUB_PAD_WIDTH = 10;

/** Zero-pads a sequence number so that stored strings sort like the numbers they hold. */
export function padSeq(seq: string): string {
  const dot = seq.indexOf('.');
  if (dot < 0) return BigInt(seq).toString().padStart(SEQ_PAD_WIDTH, '0');
  return `${BigInt(seq.slice(0, dot)).toString().padStart(SEQ_PAD_WIDTH, '0')}.${Number(seq.slice(dot + 1))
    .toString()
    .padStart(SUB_PAD_WIDTH, '0')}`;
}
