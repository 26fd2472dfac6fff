import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { SourceRecord } from '../../core/source-record';

/** Where an event's records come from, as the ESM stamps it on every record. */
export interface EventSourceInfo {
  readonly shardId: string;
  /** `arn:aws:kinesis:{region}:{account}:stream/{name}`. */
  readonly eventSourceArn: string;
  /** @default the region of `eventSourceArn` */
  readonly awsRegion?: string;
  /** @default `arn:aws:iam::{account}:role/sluice-local-esm` */
  readonly invokeIdentityArn?: string;
}

/** The ARN of a stream, as `eventSourceARN` carries it. @default account `000000000000` (emulators) */
export function streamArn(region: string, streamName: string, account = '000000000000'): string {
  return `arn:aws:kinesis:${region}:${account}:stream/${streamName}`;
}

/**
 * One event record exactly as Lambda delivers it from Kinesis: `data` in base64,
 * `approximateArrivalTimestamp` in float epoch seconds, `eventID` = `{shardId}:{sequenceNumber}`.
 */
export function toKinesisStreamRecord(record: SourceRecord, source: EventSourceInfo): KinesisStreamRecord {
  const [, , , region = 'us-east-1', account = '000000000000'] = source.eventSourceArn.split(':');
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.seq,
      data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString('base64'),
      approximateArrivalTimestamp: record.arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${source.shardId}:${record.seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn ?? `arn:aws:iam::${account}:role/sluice-local-esm`,
    awsRegion: source.awsRegion ?? region,
    eventSourceARN: source.eventSourceArn,
  };
}

/** The event of one invocation: records of one shard, in sequence order. */
export function toKinesisStreamEvent(records: readonly SourceRecord[], source: EventSourceInfo): KinesisStreamEvent {
  return { Records: records.map((record) => toKinesisStreamRecord(record, source)) };
}

/** Bytes one record adds to the invocation payload (its JSON and a separating comma). */
export function eventRecordBytes(record: SourceRecord, source: EventSourceInfo): number {
  return Buffer.byteLength(JSON.stringify(toKinesisStreamRecord(record, source))) + 1;
}
