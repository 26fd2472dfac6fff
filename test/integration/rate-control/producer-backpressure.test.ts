import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter, type KinesisWriteRecord } from '../../../lib/adapters/aws/kinesis-writer';
import type { SourceRecord } from '../../../lib/core/source-record';
import { controlWrite, readControlItem } from '../../../lib/runtime/controller/control-item';
import { Producer } from '../../../lib/compose/producer';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { FakeClock } from '../../helpers/fake-clock';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';

const aws = createTestAwsClients(inject('awsEndpoint'));
const APP = 'backpressure';
const streamName = uniqueName('sluice-producer');
const tableName = uniqueName('sluice-producer');
let checkpoints: DynamoDbCheckpointStore;
let shardIds: string[];

beforeAll(async () => {
  await Promise.all([KinesisWriter.createStream(aws.kinesis, streamName, 2), DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName)]);
  checkpoints = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName });
  shardIds = (await new KinesisSource({ client: aws.kinesis, streamName }).listShards()).map((s) => s.shardId);
});

afterAll(async () => {
  await aws.kinesis.send(new DeleteStreamCommand({ StreamName: streamName }));
  await aws.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  aws.destroy();
});

/** Publishes `rateLimit` in every shard's control item, as the controller does. */
async function publishAll(rateLimit: number): Promise<void> {
  for (const shardId of shardIds) {
    const { control, version } = readControlItem(await checkpoints.get(StorageKeys.shardPartition(APP, shardId), StorageKeys.CONTROL_SK));
    const base = control ?? readControlItem({ pk: '', sk: '', version: 0, data: '{}' }).control!;
    await checkpoints.transact([controlWrite(APP, shardId, { ...base, rateLimit }, version)]);
  }
}

const encoder = new TextEncoder();
const records = (from: number, n: number): KinesisWriteRecord[] =>
  Array.from({ length: n }, (_, i) => ({ partitionKey: `key-${from + i}`, data: encoder.encode(`event ${from + i}`) }));

async function countInStream(): Promise<number> {
  const source = new KinesisSource({ client: aws.kinesis, streamName });
  let total = 0;
  for (const shardId of shardIds) {
    const got: SourceRecord[] = [];
    for (let more = true; more;) {
      const read = await source.read(shardId, got.at(-1)?.seq, 10_000);
      got.push(...read.records);
      more = read.records.length > 0;
    }
    total += got.length;
  }
  return total;
}

describe('Producer (moto)', () => {
  describe('send', () => {
    it('writes at the sum of the published rates and slows down when they drop', async () => {
      // Prepare: 2 shards at 300 records/s each; a fake clock, so only fake seconds are counted.
      const clock = new FakeClock({ startMs: Date.now(), autoAdvance: true });
      const producer = new Producer({ app: APP, stream: streamName, kinesis: aws.kinesis, checkpoints, clock, refreshIntervalMs: 1_000 });
      await publishAll(300);
      const perSec = async (from: number, n: number) => {
        const startMs = clock.nowMs();
        const result = await producer.send(records(from, n));
        return { result, perSec: (n / (clock.nowMs() - startMs)) * 1000 };
      };
      // The bucket starts full: the first second's burst goes out at once.
      await producer.send(records(0, 600));

      // Act
      const before = await perSec(600, 1_800);
      await publishAll(50);
      await clock.sleep(1_000);
      await producer.send(records(2_400, 100));
      const after = await perSec(2_500, 300);

      // Assess
      expect(Math.abs(before.perSec - 600) / 600).toBeLessThanOrEqual(0.1);
      expect(Math.abs(after.perSec - 100) / 100).toBeLessThanOrEqual(0.1);
      expect(producer.ratePerSec).toBe(100);
      expect(before.result.failed + after.result.failed).toBe(0);
      expect(await countInStream()).toBe(2_800);
    });
  });
});
