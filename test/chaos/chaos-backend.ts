import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateTableCommand, DeleteTableCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamoDbSink } from '../../lib/adapters/aws/sinks/dynamodb-sink';
import { createAwsClients } from '../../lib/adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../../lib/adapters/aws/dynamodb-checkpoint-store';
import { S3ObjectStore } from '../../lib/adapters/aws/s3-object-store';
import { MemoryCheckpointStore } from '../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../lib/adapters/local/memory-object-store';
import type { FaultKind } from '../helpers/faults/fault-plan';
import { loseResponses } from '../helpers/faults/lost-responses';
import { seededRandom } from '../helpers/run-cli';
import type { ForeachBatchFn } from '../../lib/core/pipeline/op-spec';
import type { ScheduleStores } from './run-schedule';

/** Share of commits and WAL/quarantine puts whose response the emulator backend loses. */
const LOST_RESPONSE_RATE = 0.05;

/** Where schedules keep their checkpoints and objects. */
export interface ChaosBackend {
  readonly name: string;
  /** Stores for one schedule; schedules are namespaced by their app name. */
  stores(): ScheduleStores;
  /** Faults the backend injected itself, below the ports (lost responses in the SDK). */
  faults(): Partial<Record<FaultKind, number>>;
  /** Deletes what the run created. */
  close(): Promise<void>;
}

/** Maps and arrays in this process: fast, for the thousand-schedule run. */
export function memoryBackend(): ChaosBackend {
  return {
    name: 'memory',
    stores: () => ({ checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() }),
    faults: () => ({}),
    close: async () => undefined,
  };
}

/**
 * A DynamoDB table and an S3 bucket at `endpoint` (moto, LocalStack), created for the run and
 * deleted after it: the same adapters as on Lambda, with the emulator's real conditions. The SDK
 * clients lose a share of commit and put responses after the service applied them, so the SDK's
 * own retries meet their effects.
 */
export async function endpointBackend(endpoint: string, runId: string, seed: number): Promise<ChaosBackend> {
  const aws = createAwsClients({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1' });
  const random = seededRandom(seed ^ 0x3c6ef372);
  // The sink's BatchWriteItem too: its SDK retry meets a write that was applied.
  const lostCommits = loseResponses(aws.dynamodb, { random, rate: LOST_RESPONSE_RATE, commands: ['TransactWriteItemsCommand', 'BatchWriteItemCommand'] });
  const lostPuts = loseResponses(aws.s3, { random, rate: LOST_RESPONSE_RATE, commands: ['PutObjectCommand'] });
  const tableName = `sluice-chaos-${runId}`;
  const bucket = `sluice-chaos-${runId}`;
  await DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName);
  await S3ObjectStore.createBucket(aws.s3, bucket);
  const checkpoints = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName });
  const objects = new S3ObjectStore({ client: aws.s3, bucket });
  // The pipeline's words also go to a DynamoDB sink (sluice/sinks), one item per word keyed by its id.
  const sinkTableName = `sluice-chaos-sink-${runId}`;
  await aws.dynamodb.send(
    new CreateTableCommand({
      TableName: sinkTableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  const sinkTable = {
    write: dynamoDbSink<string>({
      tableName: sinkTableName,
      client: aws.dynamodb,
      idAttribute: 'id',
      item: (word, info) => ({ word, shardId: info.shardId, batchNo: info.batchNo }),
    }) as ForeachBatchFn,
    async items(app: string) {
      const out: Array<{ id: string; word: string; shardId: string; batchNo: number }> = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await aws.dynamodb.send(new ScanCommand({ TableName: sinkTableName, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) {
          const row = unmarshall(item) as { id: string; word: string; shardId: string; batchNo: number };
          if (row.id.startsWith(`${app}/`)) out.push(row);
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return out;
    },
  };
  return {
    name: `endpoint ${endpoint}`,
    stores: () => ({ checkpoints, objects, sinkTable }),
    faults: () => ({ 'lost-response': lostCommits.lost + lostPuts.lost }),
    async close() {
      await aws.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
      await aws.dynamodb.send(new DeleteTableCommand({ TableName: sinkTableName }));
      for (;;) {
        const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length === 0) break;
        await aws.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
      }
      await aws.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      aws.destroy();
    },
  };
}
