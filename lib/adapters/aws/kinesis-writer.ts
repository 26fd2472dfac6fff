import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { translateKinesisError } from './kinesis-errors';
import { packPutRecords } from './pack-put-records';

/** One record to write: Kinesis routes it to a shard by the MD5 of `partitionKey`. */
export interface KinesisWriteRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** Routes the record by this hash key instead of the partition key's MD5 (an exchange's partitions). @default - the MD5 of `partitionKey` */
  readonly explicitHashKey?: string;
}

/** Options of {@link KinesisWriter}. */
export interface KinesisWriterOptions {
  /** A client with an HTTP/1.1 handler when talking to an emulator (see `createAwsClients`). */
  readonly client: KinesisClient;
  readonly streamName: string;
  /** PutRecords attempts per request, the first included. @default 8 */
  readonly maxAttempts?: number;
  /**
   * Backoff cap after the first failed attempt, doubled after each further one up to `maxDelayMs`;
   * the wait is drawn uniformly below the cap (full jitter).
   * @default 100
   */
  readonly baseDelayMs?: number;
  /** Largest backoff cap. @default 5_000 */
  readonly maxDelayMs?: number;
  /** Uniform [0, 1) for the jitter; tests pass a seeded one. @default Math.random */
  readonly random?: () => number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Options of one {@link KinesisWriter.putAll} call. */
export interface PutAllOptions {
  /** Called after every PutRecords response with the records written so far. */
  readonly onProgress?: (written: number, total: number) => void;
}

/** Outcome of {@link KinesisWriter.putAll}: `failures` name input indexes that never got in. */
export interface PutAllResult {
  readonly written: number;
  readonly failed: number;
  readonly failures: readonly { readonly index: number; readonly errorCode: string }[];
}

/** Per-record error codes worth another attempt: a hot shard or a transient service failure. */
const RETRYABLE_CODES = new Set(['ProvisionedThroughputExceededException', 'InternalFailure', 'KMSThrottlingException']);

/**
 * Writes records to a stream with PutRecords, packed into requests of at most 500 records and
 * 5 MiB, one request at a time, in input order.
 *
 * PutRecords reports failures INSIDE an HTTP 200 (`FailedRecordCount`, an `ErrorCode` per entry),
 * which the SDK does not retry: the writer resends exactly the failed entries, never the written
 * ones (so a retry adds no duplicates), with exponential backoff and full jitter, a bounded number
 * of times. Whole-request errors are left to the SDK's retries, then thrown (throttles as
 * `ThrottledError`).
 */
export class KinesisWriter {
  private readonly client: KinesisClient;
  private readonly streamName: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: KinesisWriterOptions) {
    this.client = options.client;
    this.streamName = options.streamName;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Creates a provisioned stream of `shardCount` shards and waits until ACTIVE; an existing stream is only waited for. */
  static async createStream(client: KinesisClient, streamName: string, shardCount: number): Promise<void> {
    try {
      await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    }
    await waitUntilStreamExists({ client, maxWaitTime: 300, minDelay: 1 }, { StreamName: streamName });
  }

  async putAll(records: readonly KinesisWriteRecord[], options: PutAllOptions = {}): Promise<PutAllResult> {
    const failures: { index: number; errorCode: string }[] = [];
    let written = 0;
    for (const request of packPutRecords(records)) {
      let pending = request;
      for (let attempt = 1; pending.length > 0; attempt++) {
        const entries: PutRecordsRequestEntry[] = pending.map((i) => ({
          PartitionKey: records[i]!.partitionKey,
          Data: records[i]!.data,
          ...(records[i]!.explicitHashKey === undefined ? {} : { ExplicitHashKey: records[i]!.explicitHashKey }),
        }));
        const output = await this.client.send(new PutRecordsCommand({ StreamName: this.streamName, Records: entries })).catch((error: unknown) => {
          throw translateKinesisError(error);
        });
        const retry: number[] = [];
        pending.forEach((index, position) => {
          const errorCode = output.Records?.[position]?.ErrorCode;
          if (errorCode === undefined) written++;
          else if (RETRYABLE_CODES.has(errorCode) && attempt < this.maxAttempts) retry.push(index);
          else failures.push({ index, errorCode });
        });
        options.onProgress?.(written, records.length);
        pending = retry;
        if (pending.length > 0) await this.sleep(this.backoffMs(attempt));
      }
    }
    failures.sort((a, b) => a.index - b.index);
    return { written, failed: failures.length, failures };
  }

  /** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))), which spreads competing producers. */
  private backoffMs(attempt: number): number {
    return this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
  }
}
