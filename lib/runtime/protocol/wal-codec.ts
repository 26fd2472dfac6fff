import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { CorruptDataError } from '../../core/errors';
import type { SourceRecord } from '../../core/source-record';
import { checked, LimiterStateSchema, type LimiterState } from './checkpoint-record';

/** First line of a WAL object: what was allocated to the batch, and under which settings. */
export interface WalHeader {
  readonly app: string;
  readonly shard: string;
  readonly batchNo: number;
  /** The batch's first and last sequence numbers; for an idle tick (`count` 0) both are the committed one, null on a shard never read from (docs/decisions/0015). */
  readonly firstSeq: string | null;
  readonly lastSeq: string | null;
  readonly count: number;
  /** Batch time: when the batch was allocated (ms since the epoch). Re-runs use it, not the clock. */
  readonly createdAt: number;
  /** The rate limiter's state after this batch took its records, so a re-run commits the same. */
  readonly limiter?: LimiterState;
  readonly rateLimit?: number;
  /**
   * Set on an idle tick: a batch of no records (`count` 0, `firstSeq` = `lastSeq` = the committed
   * sequence number) run because the source had nothing at this time (see MicroBatchProcessor.idleTick).
   */
  readonly idleAtMs?: number;
  /** Set on the tick that tells the stages after an exchange that this shard's input ended (docs/decisions/0015). */
  readonly endOfInput?: true;
  /** With `endOfInput`, for a closed shard: its children, which its end marker names (docs/decisions/0015). */
  readonly children?: readonly string[];
  /** A receiving stage's batch: the origins listed when it was allocated, so that a re-run waits for the same ones. */
  readonly origins?: readonly string[];
}

const WalHeaderSchema: z.ZodType<WalHeader> = z.object({
  app: z.string(),
  shard: z.string(),
  batchNo: z.number().int().positive(),
  firstSeq: z.string().nullable(),
  lastSeq: z.string().nullable(),
  count: z.number().int().nonnegative(),
  createdAt: z.number(),
  limiter: LimiterStateSchema.optional(),
  rateLimit: z.number().optional(),
  idleAtMs: z.number().optional(),
  endOfInput: z.literal(true).optional(),
  children: z.array(z.string()).optional(),
  origins: z.array(z.string()).optional(),
});

/** A batch as allocated: its header and its records, in sequence order. */
export interface WalBatch {
  readonly header: WalHeader;
  readonly records: SourceRecord[];
}

/** Encodes a batch as gzip'd NDJSON: the header line, then one line per record (docs/architecture.md §5). */
export function encodeWal(batch: WalBatch): Uint8Array {
  const lines = [JSON.stringify(batch.header)];
  for (const r of batch.records) {
    lines.push(JSON.stringify({ seq: r.seq, arrival: r.arrivalMs, partitionKey: r.partitionKey, data: Buffer.from(r.data).toString('base64') }));
  }
  return gzipSync(lines.join('\n') + '\n', { level: 1 });
}

/** Decodes {@link encodeWal}'s output; throws CorruptDataError naming `key` if it does not parse. */
export function decodeWal(key: string, body: Uint8Array): WalBatch {
  try {
    const lines = gunzipSync(body).toString('utf8').split('\n');
    const header = checked(key, 'WAL header', WalHeaderSchema, JSON.parse(lines[0]!));
    const records: SourceRecord[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      const r = JSON.parse(line) as { seq: string; arrival: number; partitionKey: string; data: string };
      records.push({ seq: r.seq, arrivalMs: r.arrival, partitionKey: r.partitionKey, data: new Uint8Array(Buffer.from(r.data, 'base64')) });
    }
    if (records.length !== header.count) throw new Error(`header says ${header.count} records, found ${records.length}`);
    return { header, records };
  } catch (cause) {
    if (cause instanceof CorruptDataError) throw cause;
    throw new CorruptDataError(key, `unreadable WAL object: ${(cause as Error).message}`, { cause });
  }
}
