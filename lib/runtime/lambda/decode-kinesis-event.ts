import type { KinesisStreamEvent } from 'aws-lambda';
import { CorruptDataError } from '../../core/errors';
import type { SourceRecord } from '../../core/source-record';

/** The records of one invocation, as the micro-batch protocol takes them. */
export interface DecodedEvent {
  readonly shardId: string;
  /** In the order of the event, which is sequence order. */
  readonly records: SourceRecord[];
  /** The stream's ARN (`eventSourceARN`), when the event names it. */
  readonly sourceArn?: string;
}

/**
 * Turns a Kinesis event into source records: `data` from base64, `approximateArrivalTimestamp` from
 * float epoch seconds to ms, the shard from `eventID` (`{shardId}:{sequenceNumber}`). Returns
 * `undefined` for an event without records.
 *
 * An event holds one shard (the ESM never mixes them). One that does not, or a record without its
 * fields, is refused with a `CorruptDataError`: guessing would commit records to the wrong shard.
 */
export function decodeKinesisEvent(event: KinesisStreamEvent): DecodedEvent | undefined {
  const items = event?.Records ?? [];
  if (items.length === 0) return undefined;
  let shardId: string | undefined;
  const records = items.map((item, index): SourceRecord => {
    const k = item?.kinesis;
    const where = `event record ${index} (${item?.eventID ?? 'no eventID'})`;
    if (k === undefined || typeof k.sequenceNumber !== 'string' || !/^\d+$/.test(k.sequenceNumber) || typeof k.data !== 'string' || typeof k.partitionKey !== 'string') {
      throw new CorruptDataError(where, 'not a Kinesis record: needs kinesis.sequenceNumber (digits), kinesis.data (base64) and kinesis.partitionKey');
    }
    const separator = item.eventID?.lastIndexOf(':') ?? -1;
    const recordShard = separator > 0 ? item.eventID.slice(0, separator) : undefined;
    if (recordShard === undefined) throw new CorruptDataError(where, 'eventID must be "{shardId}:{sequenceNumber}"');
    shardId ??= recordShard;
    if (recordShard !== shardId) throw new CorruptDataError(where, `the event mixes shards ${shardId} and ${recordShard}; the ESM delivers one shard per event`);
    const seconds = Number(k.approximateArrivalTimestamp);
    return {
      seq: k.sequenceNumber,
      arrivalMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0,
      partitionKey: k.partitionKey,
      data: new Uint8Array(Buffer.from(k.data, 'base64')),
    };
  });
  const sourceArn = items[0]?.eventSourceARN;
  return { shardId: shardId!, records, ...(typeof sourceArn === 'string' && sourceArn !== '' ? { sourceArn } : {}) };
}
