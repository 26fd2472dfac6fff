import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createAwsClients } from '../../lib/adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../../lib/adapters/aws/dynamodb-checkpoint-store';
import { S3ObjectStore } from '../../lib/adapters/aws/s3-object-store';
import { MemoryCheckpointStore } from '../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../lib/adapters/local/memory-object-store';
import type { ScheduleStores } from './run-schedule';

/** Where schedules keep their checkpoints and objects. */
export interface ChaosBackend {
  readonly name: string;
  /** Stores for one schedule; schedules are namespaced by their app name. */
  stores(): ScheduleStores;
  /** Deletes what the run created. */
  close(): Promise<void>;
}

/** Maps and arrays in this process: fast, for the thousand-schedule run. */
export function memoryBackend(): ChaosBackend {
  return { name: 'memory', stores: () => ({ checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() }), close: async () => undefined };
}

/**
 * A DynamoDB table and an S3 bucket at `endpoint` (moto, LocalStack), created for the run and
 * deleted after it: the same adapters as on Lambda, with the emulator's real conditions.
 */
export async function endpointBackend(endpoint: string, runId: string): Promise<ChaosBackend> {
  const aws = createAwsClients({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1' });
  const tableName = `sluice-chaos-${runId}`;
  const bucket = `sluice-chaos-${runId}`;
  await DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName);
  await S3ObjectStore.createBucket(aws.s3, bucket);
  const checkpoints = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName });
  const objects = new S3ObjectStore({ client: aws.s3, bucket });
  return {
    name: `endpoint ${endpoint}`,
    stores: () => ({ checkpoints, objects }),
    async close() {
      await aws.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
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
