import type { KinesisStreamEvent } from 'aws-lambda';
import { CorruptDataError } from '../../core/errors';
import { subSeq, type SourceRecord } from '../../core/source-record';
import { deaggregate, isKplAggregate } from '../protocol/kpl-aggregate';

/** The records of one invocation, as the micro-batch protocol takes them. */
export interface DecodedEvent {
  readonly shardId: string;
  /** The records whose data decoded, in the order of the event, which is sequence order. */
  readonly records: SourceRecord[];
  /**
   * Records whose `data` is not valid base64, or is a KPL aggregate that does not check (its MD5
   * digest, its protobuf): never given to the pipeline, set aside as received, with the reason.
   */
  readonly undecodable: UndecodableEventRecord[];
  /** The stream's ARN (`eventSourceARN`), when the event names it. */
  readonly sourceArn?: string;
}

/** A record of the event whose `data` could not be decoded, with its `data` string as it came. */
export interface UndecodableEventRecord {
  readonly seq: string;
  readonly partitionKey: string;
  readonly arrivalMs: number;
  readonly data: string;
  readonly reason: string;
}

/** Why a record's data is refused; the quarantine entry carries exactly this. */
export const NOT_BASE64_REASON = 'not valid base64';

/**
 * Standard base64 with its padding, as Kinesis events carry `data`. Node's decoder is lenient: it
 * stops at the first `=` and skips characters outside the alphabet, so `aGVsbG8=gd29ybGQ=` would
 * decode to "hello" and lose "world" without a trace.
 */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Turns a Kinesis event into source records: `data` from base64, `approximateArrivalTimestamp` from
 * float epoch seconds to ms, the shard from `eventID` (`{shardId}:{sequenceNumber}`). Returns
 * `undefined` for an event without records.
 *
 * An event holds one shard (the ESM never mixes them). One that does not, or a record without its
 * fields, is refused with a `CorruptDataError`: guessing would commit records to the wrong shard. A
 * record whose `data` is not strict base64 is returned apart, in `undecodable`, for the quarantine.
 *
 * A record in the KPL aggregated format (docs/decisions/0020) becomes its user records, each with its
 * partition key and the sequence number `{seq}.{sub}`, so offsets, the WAL, dedup and the rate limit
 * work per user record; an aggregate whose digest does not match goes to `undecodable` with the reason.
 */
export function decodeKinesisEvent(event: KinesisStreamEvent): DecodedEvent | undefined {
  const items: unknown = event?.Records ?? [];
  if (!Array.isArray(items)) throw new CorruptDataError('event', `Records must be a list of Kinesis records, got ${describe(items)}`);
  if (items.length === 0) return undefined;
  let shardId: string | undefined;
  const records: SourceRecord[] = [];
  const undecodable: UndecodableEventRecord[] = [];
  for (const [index, item] of (items as KinesisStreamEvent['Records']).entries()) {
    const k = item?.kinesis;
    const where = `event record ${index} (${item?.eventID ?? 'no eventID'})`;
    if (
      k === undefined ||
      typeof k.sequenceNumber !== 'string' ||
      !/^\d+$/.test(k.sequenceNumber) ||
      typeof k.data !== 'string' ||
      typeof k.partitionKey !== 'string'
    ) {
      throw new CorruptDataError(where, 'not a Kinesis record: needs kinesis.sequenceNumber (digits), kinesis.data (base64) and kinesis.partitionKey');
    }
    const separator = typeof item.eventID === 'string' ? item.eventID.lastIndexOf(':') : -1;
    const recordShard = separator > 0 ? item.eventID.slice(0, separator) : undefined;
    if (recordShard === undefined) throw new CorruptDataError(where, 'eventID must be "{shardId}:{sequenceNumber}"');
    shardId ??= recordShard;
    if (recordShard !== shardId)
      throw new CorruptDataError(where, `the event mixes shards ${shardId} and ${recordShard}; the ESM delivers one shard per event`);
    const seconds = Number(k.approximateArrivalTimestamp);
    const fields = { seq: k.sequenceNumber, arrivalMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0, partitionKey: k.partitionKey };
    if (!BASE64.test(k.data)) {
      undecodable.push({ ...fields, data: k.data, reason: NOT_BASE64_REASON });
      continue;
    }
    const data = new Uint8Array(Buffer.from(k.data, 'base64'));
    if (!isKplAggregate(data)) {
      records.push({ ...fields, data });
      continue;
    }
    // A KPL aggregate: its user records, each with its own partition key and sub-sequence number.
    const expanded = deaggregate(data);
    if (expanded.ok)
      for (const [sub, user] of expanded.records.entries())
        records.push({ seq: subSeq(fields.seq, sub), arrivalMs: fields.arrivalMs, partitionKey: user.partitionKey, data: user.data });
    else undecodable.push({ ...fields, data: k.data, reason: expanded.reason });
  }
  const sourceArn = (items[0] as { eventSourceARN?: unknown } | undefined)?.eventSourceARN;
  return { shardId: shardId!, records, undecodable, ...(typeof sourceArn === 'string' && sourceArn !== '' ? { sourceArn } : {}) };
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
