import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { pushLines } from '../../../lib/cli/commands/push';
import { controlWrite, readControlItem } from '../../../lib/runtime/controller/control-item';
import { openLocalAwsApp, type LocalAwsApp } from '../../../lib/compose/local-aws-app';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { FakeClock } from '../../helpers/fake-clock';
import { uniqueName } from '../../helpers/moto';

const endpoint = inject('awsEndpoint');
const stream = uniqueName('sluice-push');
let app: LocalAwsApp;
let shardIds: string[];

beforeAll(async () => {
  app = openLocalAwsApp({ app: uniqueName('push-bp'), endpoint });
  await Promise.all([KinesisWriter.createStream(app.clients.kinesis, stream, 2), DynamoDbCheckpointStore.createTable(app.clients.dynamodb, app.tableName)]);
  shardIds = (await new KinesisSource({ client: app.clients.kinesis, streamName: stream }).listShards()).map((s) => s.shardId);
});

afterAll(async () => {
  await app.clients.kinesis.send(new DeleteStreamCommand({ StreamName: stream }));
  await app.clients.dynamodb.send(new DeleteTableCommand({ TableName: app.tableName }));
  app.clients.destroy();
});

async function publishAll(rateLimit: number): Promise<void> {
  for (const shardId of shardIds) {
    const { control, version } = readControlItem(await app.checkpoints.get(StorageKeys.shardPartition(app.app, shardId), StorageKeys.CONTROL_SK));
    const base = control ?? readControlItem({ pk: '', sk: '', version: 0, data: '{}' }).control!;
    await app.checkpoints.transact([controlWrite(app.app, shardId, { ...base, rateLimit }, version)]);
  }
}

describe('sluice push (pushLines, moto)', () => {
  it('follows the published rates, and a push after they drop is slower', async () => {
    // Prepare: a fake clock counts only the time push waits for tokens.
    const clock = new FakeClock({ startMs: Date.now(), autoAdvance: true });
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 7} word${i % 3}`);
    /** Records per fake second after the first second's burst (each push starts with a full bucket). */
    const push = async (n: number, ratePerSec: number) => {
      const startMs = clock.nowMs();
      const result = await pushLines(app, { stream, lines: lines(n), keyBy: 'index', backpressure: true, clock });
      return { result, perSec: ((n - ratePerSec) / (clock.nowMs() - startMs)) * 1000 };
    };
    await publishAll(300);

    // Act
    const fast = await push(1_800, 600);
    await publishAll(50);
    const slow = await push(300, 100);

    // Assess
    expect(Math.abs(fast.perSec - 600) / 600).toBeLessThanOrEqual(0.1);
    expect(Math.abs(slow.perSec - 100) / 100).toBeLessThanOrEqual(0.1);
    expect(fast.result.written + slow.result.written).toBe(2_100);
  });
});
