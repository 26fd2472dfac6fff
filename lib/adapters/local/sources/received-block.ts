import { CorruptDataError } from '../../../core/errors';
import type { SourceRecord } from '../../../core/source-record';

/** Digits of the first seq in a block key: 20 sort correctly up to 10^20 records per shard. */
export const RECEIVED_BLOCK_SEQ_DIGITS = 20;

/** Prefix under which a receiver keeps the blocks of one shard of one app. */
export function receivedPrefix(app: string, shardId: string): string {
  return `received/${app}/${shardId}/`;
}

/** Key of the block whose first record has `firstSeq`: keys sort like the seqs they start at. */
export function receivedBlockKey(app: string, shardId: string, firstSeq: number): string {
  return receivedPrefix(app, shardId) + String(firstSeq).padStart(RECEIVED_BLOCK_SEQ_DIGITS, '0');
}

/** First seq encoded in a block key, or `undefined` for a key that is not a block. */
export function firstSeqOfKey(key: string): number | undefined {
  const last = key.slice(key.lastIndexOf('/') + 1);
  return /^\d{20}$/.test(last) ? Number(last) : undefined;
}

/** One received record as a block holds it; the partition key is the shard's and is not stored. */
export interface ReceivedRecord {
  readonly seq: number;
  readonly arrivalMs: number;
  readonly data: Uint8Array;
}

/** Encodes records as JSON lines `{seq, arrivalMs, data}` with `data` in base64: greppable, binary-safe. */
export function encodeBlock(records: readonly ReceivedRecord[]): Uint8Array {
  let text = '';
  for (const r of records) text += `${JSON.stringify({ seq: String(r.seq), arrivalMs: r.arrivalMs, data: Buffer.from(r.data).toString('base64') })}\n`;
  return new TextEncoder().encode(text);
}

/** Decodes a block into source records of `shardId`; anything malformed is a {@link CorruptDataError}. */
export function decodeBlock(key: string, body: Uint8Array, shardId: string): SourceRecord[] {
  const records: SourceRecord[] = [];
  const lines = new TextDecoder().decode(body).split('\n');
  for (const [i, line] of lines.entries()) {
    if (line === '' && i === lines.length - 1) break;
    try {
      const { seq, arrivalMs, data } = JSON.parse(line) as { seq: unknown; arrivalMs: unknown; data: unknown };
      if (typeof seq !== 'string' || !/^\d+$/.test(seq) || typeof arrivalMs !== 'number' || typeof data !== 'string')
        throw new Error('fields seq, arrivalMs and data are required');
      records.push({ seq, arrivalMs, partitionKey: shardId, data: new Uint8Array(Buffer.from(data, 'base64')) });
    } catch (error) {
      throw new CorruptDataError(key, `line ${i + 1} is not a received record: ${(error as Error).message}`, { cause: error });
    }
  }
  if (records.length === 0) throw new CorruptDataError(key, 'the block holds no records');
  return records;
}
