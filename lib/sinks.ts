/**
 * `sluice/sinks`: idempotent sinks for `foreachBatch`, exactly once per batch under re-runs. Each
 * writes a batch's elements under ids made of the batch's id and the element's index, which a
 * re-run of the batch makes again (see the README, "Sinks").
 *
 * @example
 * import { pipeline } from 'sluice';
 * import { dynamoDbSink } from 'sluice/sinks';
 *
 * export default pipeline('word-count')
 *   .flatMap((line) => line.split(/\s+/).filter(Boolean))
 *   .countByValue()
 *   .updateStateByKey<string, number, number>((counts, total = 0) => counts.reduce((a, b) => a + b, total))
 *   .foreachBatch(dynamoDbSink({ tableName: process.env.TOTALS_TABLE!, mode: 'upsert', keyAttributes: ['word'], item: ([word, count]) => ({ word, count }) }));
 *
 * @packageDocumentation
 */
export { dynamoDbSink, watermarkAttribute } from './adapters/aws/sinks/dynamodb-sink';
export type { DynamoDbSinkOptions } from './adapters/aws/sinks/dynamodb-sink';
export { s3Sink, s3SinkKey } from './adapters/aws/sinks/s3-sink';
export type { S3SinkOptions } from './adapters/aws/sinks/s3-sink';
export { kinesisSink } from './adapters/aws/sinks/kinesis-sink';
export type { KinesisSinkOptions, SinkEnvelope } from './adapters/aws/sinks/kinesis-sink';
export { sqsSink, deduplicationIdOf, SQS_ID_ATTRIBUTE } from './adapters/aws/sinks/sqs-sink';
export type { SqsSinkOptions } from './adapters/aws/sinks/sqs-sink';
export { elementId, SinkPartialFailureError } from './adapters/aws/sinks/sink-common';
export type { BatchSink, SinkCommonOptions, SinkRetryOptions } from './adapters/aws/sinks/sink-common';
