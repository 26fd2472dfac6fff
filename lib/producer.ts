/**
 * `sluice/producer`: writes records to an app's Kinesis stream no faster than the rates its
 * controller publishes, so producers slow down before the processors fall behind.
 *
 * @example
 * import { DynamoDbCheckpointStore, Producer } from 'sluice/producer';
 * const checkpoints = new DynamoDbCheckpointStore({ client: new DynamoDBClient({}), tableName: 'sluice-clicks' });
 * const producer = new Producer({ app: 'clicks', stream: 'sluice-clicks', kinesis: new KinesisClient({}), checkpoints });
 *
 * @packageDocumentation
 */
export { Producer } from './compose/producer';
export type { ProducerOptions } from './compose/producer';
export type { KinesisWriteRecord, PutAllResult } from './adapters/aws/kinesis-writer';
export { DynamoDbCheckpointStore } from './adapters/aws/dynamodb-checkpoint-store';
export type { DynamoDbCheckpointStoreOptions } from './adapters/aws/dynamodb-checkpoint-store';
