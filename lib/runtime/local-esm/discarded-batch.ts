import type { SourceRecord } from '../../core/source-record';

/**
 * What the ESM reports for records it gave up on, shaped like the `KinesisBatchInfo` of an AWS
 * on-failure destination record: metadata only, enough to re-read the records before retention ends.
 */
export interface DiscardedBatch {
  readonly condition: 'RetryAttemptsExhausted';
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  readonly batchSize: number;
  readonly streamArn: string;
}

/** Describes `records` (non-empty, in sequence order) of `shardId` as a discarded batch. */
export function describeDiscarded(shardId: string, streamArn: string, records: readonly SourceRecord[]): DiscardedBatch {
  const first = records[0]!;
  const last = records[records.length - 1]!;
  return {
    condition: 'RetryAttemptsExhausted',
    shardId,
    startSequenceNumber: first.seq,
    endSequenceNumber: last.seq,
    approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
    approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
    batchSize: records.length,
    streamArn,
  };
}
