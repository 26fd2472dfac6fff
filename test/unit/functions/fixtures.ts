import { Logger } from '@aws-lambda-powertools/logger';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { BatchStats } from '../../../lib/core/batch-stats';
import type { SourceRecord } from '../../../lib/core/source-record';
import { toKinesisStreamEvent } from '../../../lib/runtime/local-esm/kinesis-event';

/** The sample event of the AWS Lambda docs (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html), verbatim. */
export const DOCS_SAMPLE_EVENT: KinesisStreamEvent = {
  Records: [
    {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: '1',
        sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
        data: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
        approximateArrivalTimestamp: 1545084650.987,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventName: 'aws:kinesis:record',
      eventID: 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/r',
      awsRegion: 'us-east-2',
      eventSourceARN: 'arn:aws:kinesis:us-east-2:123456789012:stream/s',
    },
  ],
};

export const TEST_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/words';

/** An event of `records` from `shardId`, shaped as the ESM delivers it. */
export function eventOf(records: readonly SourceRecord[], shardId = 'shardId-000000000000'): KinesisStreamEvent {
  return toKinesisStreamEvent(records, { shardId, eventSourceArn: TEST_ARN });
}

/** A Metrics port that keeps every batch's stats. */
export function recordingMetrics(): { batches: BatchStats[]; batchCommitted(stats: BatchStats): void } {
  const batches: BatchStats[] = [];
  return { batches, batchCommitted: (stats) => void batches.push(stats) };
}

/** A logger that prints nothing (tests assert on stores and responses, not on log lines). */
export function silentLogger(): Logger {
  return new Logger({ logLevel: 'SILENT' });
}
