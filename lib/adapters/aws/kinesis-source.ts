import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type KinesisClient,
  type _Record as KinesisRecord,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { CorruptDataError } from '../../core/errors';
import { compareSeq, kinesisSeqOf, type SourceRecord } from '../../core/source-record';
import type { ReadResult, ShardInfo, Source } from '../../ports/source';
import { translateKinesisError } from './kinesis-errors';
import { parentsFirst } from './parents-first';

/** Options of {@link KinesisSource}. */
export interface KinesisSourceOptions {
  /** A client with an HTTP/1.1 handler when talking to an emulator (see `createAwsClients`). */
  readonly client: KinesisClient;
  readonly streamName: string;
}

/** GetRecords returns at most 10,000 records per call. */
const GET_RECORDS_MAX = 10_000;

/** Where the reader of one shard stands: the last sequence number handed out and the iterator after it. */
interface Cursor {
  readonly afterSeq: string | undefined;
  /** `null` once the shard is closed and read to its end. */
  readonly iterator: string | null;
}

/**
 * A Kinesis stream read with shard iterators, the way a polling consumer (or our local ESM) does.
 *
 * A steady poller costs one GetRecords per read: the `NextShardIterator` is kept per shard and used
 * while the caller asks for the position right after what it got last. Any other position, a new
 * instance, or an expired iterator costs one GetShardIterator (AFTER_SEQUENCE_NUMBER, or TRIM_HORIZON
 * from the start). Throttles become a retryable `ThrottledError`; the iterator is kept for the retry.
 */
export class KinesisSource implements Source {
  private readonly client: KinesisClient;
  private readonly streamName: string;
  private readonly cursors = new Map<string, Cursor>();
  /** EndingSequenceNumber of the shards the last listShards saw closed. */
  private readonly closedAt = new Map<string, string>();

  constructor(options: KinesisSourceOptions) {
    this.client = options.client;
    this.streamName = options.streamName;
  }

  async listShards(): Promise<ShardInfo[]> {
    const shards: Shard[] = [];
    let more = true;
    try {
      // Pages continue after the last shard id seen: with StreamName this works on AWS and on
      // emulators alike, whereas a NextToken must be sent without StreamName on AWS only.
      while (more) {
        const last = shards.at(-1)?.ShardId;
        const page = await this.client.send(
          new ListShardsCommand({ StreamName: this.streamName, ...(last === undefined ? {} : { ExclusiveStartShardId: last }) }),
        );
        shards.push(...(page.Shards ?? []));
        more = page.NextToken !== undefined && (page.Shards ?? []).length > 0;
      }
    } catch (error) {
      throw translateKinesisError(error);
    }
    for (const shard of shards) {
      const ending = shard.SequenceNumberRange?.EndingSequenceNumber;
      if (shard.ShardId !== undefined && ending !== undefined) this.closedAt.set(shard.ShardId, ending);
    }
    return parentsFirst(shards);
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    const cached = this.cursors.get(shardId);
    const cursor = cached !== undefined && cached.afterSeq === afterSeq ? cached : undefined;
    // A closed shard never grows, and a zero allowance (rate limit) reads nothing: no call for either.
    if (cursor?.iterator === null || maxRecords < 1) return { records: [], endOfShard: cursor?.iterator === null, endOfData: false };
    const limit = Math.min(Math.floor(maxRecords), GET_RECORDS_MAX);
    let output: GetRecordsCommandOutput;
    try {
      const iterator = cursor?.iterator ?? (await this.iteratorAfter(shardId, afterSeq));
      output = await this.getRecords(iterator, limit).catch(async (error: unknown) => {
        // Iterators live 5 minutes: an idle shard's cached one may have expired. Refresh once.
        if (!(error instanceof Error && error.name === 'ExpiredIteratorException')) throw error;
        return this.getRecords(await this.iteratorAfter(shardId, afterSeq), limit);
      });
    } catch (error) {
      throw translateKinesisError(error);
    }
    const records = (output.Records ?? []).map((record) => toSourceRecord(shardId, record));
    const position = records.at(-1)?.seq ?? afterSeq;
    const endOfShard = output.NextShardIterator == null || this.readPastEnd(shardId, position);
    this.cursors.set(shardId, { afterSeq: position, iterator: endOfShard ? null : (output.NextShardIterator ?? null) });
    return { records, endOfShard, endOfData: false, ...(output.MillisBehindLatest === undefined ? {} : { millisBehind: output.MillisBehindLatest }) };
  }

  private async iteratorAfter(shardId: string, afterSeq: string | undefined): Promise<string> {
    const { ShardIterator } = await this.client.send(
      new GetShardIteratorCommand({
        StreamName: this.streamName,
        ShardId: shardId,
        ...(afterSeq === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : afterSeq.includes('.')
            ? // A user record of a KPL aggregate: its aggregate's later user records may be unread.
              { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: kinesisSeqOf(afterSeq) }
            : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: afterSeq }),
      }),
    );
    if (ShardIterator === undefined) throw new Error(`GetShardIterator returned no iterator for ${this.streamName}/${shardId}`);
    return ShardIterator;
  }

  private getRecords(iterator: string, limit: number): Promise<GetRecordsCommandOutput> {
    return this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
  }

  /**
   * AWS ends a closed shard with a null NextShardIterator; moto never does, so a shard that the last
   * listShards reported closed also ends once read up to its EndingSequenceNumber (no record of a
   * closed shard lies beyond it, so this never ends a shard early on AWS).
   */
  private readPastEnd(shardId: string, position: string | undefined): boolean {
    const ending = this.closedAt.get(shardId);
    return ending !== undefined && compareSeq(position ?? '0', ending) >= 0;
  }
}

function toSourceRecord(shardId: string, record: KinesisRecord): SourceRecord {
  if (record.SequenceNumber === undefined || record.PartitionKey === undefined) {
    throw new CorruptDataError(shardId, 'Kinesis record without SequenceNumber or PartitionKey');
  }
  return {
    seq: record.SequenceNumber,
    arrivalMs: record.ApproximateArrivalTimestamp?.getTime() ?? 0,
    partitionKey: record.PartitionKey,
    data: record.Data ?? new Uint8Array(),
  };
}

/** The stream an ARN names (`arn:aws:kinesis:{region}:{account}:stream/{name}`), or the string itself if it is a name. */
export function streamNameOf(streamArn: string): string {
  const at = streamArn.indexOf(':stream/');
  return at < 0 ? streamArn : streamArn.slice(at + ':stream/'.length);
}
