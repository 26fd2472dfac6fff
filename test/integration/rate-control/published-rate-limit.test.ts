import { Logger } from '@aws-lambda-powertools/logger';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { S3ObjectStore } from '../../../lib/adapters/aws/s3-object-store';
import type { CheckpointStore, TransactWrite } from '../../../lib/ports/checkpoint-store';
import { parseRecord, type CheckpointRecord } from '../../../lib/runtime/protocol/checkpoint-record';
import { controlWrite, readControlItem } from '../../../lib/runtime/controller/control-item';
import { loadControllerConfig } from '../../../lib/runtime/controller/controller-config';
import { createControllerHandler } from '../../../lib/runtime/controller/create-controller-handler';
import { createProcessorHandler } from '../../../lib/compose/create-processor-handler';
import { LocalEsm, type EsmRunSummary } from '../../../lib/runtime/local-esm/local-esm';
import { streamArn } from '../../../lib/runtime/local-esm/kinesis-event';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { FakeClock } from '../../helpers/fake-clock';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';
import { sampleLines } from '../../helpers/word-records';
import { advanceWhenIdle } from './advance-when-idle';

const aws = createTestAwsClients(inject('awsEndpoint'));
const APP = 'rate-limited';
const streamName = uniqueName('sluice-rate');
const tableName = uniqueName('sluice-rate');
const bucket = uniqueName('sluice-rate');
const STEP_MS = 100;
let checkpoints: DynamoDbCheckpointStore;
let shardId: string;

beforeAll(async () => {
  await Promise.all([
    KinesisWriter.createStream(aws.kinesis, streamName, 1),
    DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName),
    S3ObjectStore.createBucket(aws.s3, bucket),
  ]);
  checkpoints = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName });
  shardId = (await new KinesisSource({ client: aws.kinesis, streamName }).listShards())[0]!.shardId;
  const encoder = new TextEncoder();
  await new KinesisWriter({ client: aws.kinesis, streamName }).putAll(
    sampleLines(4_000).map((line, i) => ({ partitionKey: String(i), data: encoder.encode(line) })),
  );
});

afterAll(async () => {
  await aws.kinesis.send(new DeleteStreamCommand({ StreamName: streamName }));
  await aws.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  aws.destroy();
});

/** Writes a shard's control item as the controller would, over whatever is there. */
async function publish(rateLimit: number): Promise<void> {
  const { control, version } = readControlItem(await checkpoints.get(StorageKeys.shardPartition(APP, shardId), StorageKeys.CONTROL_SK));
  const base = control ?? readControlItem({ pk: '', sk: '', version: 0, data: '{}' }).control!;
  await checkpoints.transact([controlWrite(APP, shardId, { ...base, rateLimit, updatedAtMs: Date.now() }, version)]);
}

async function committedRecords(): Promise<number> {
  const item = await checkpoints.get(StorageKeys.shardPartition(APP, shardId), StorageKeys.CHECKPOINT_SK);
  return item === undefined ? 0 : (parseRecord<CheckpointRecord>('checkpoint', item.data).totals?.records ?? 0);
}

/** Records per fake second the shard committed over `ms` of fake time. */
async function throughput(clock: FakeClock, ms: number): Promise<number> {
  const before = await committedRecords();
  await advanceWhenIdle(clock, 2, ms, STEP_MS);
  return ((await committedRecords()) - before) / (ms / 1000);
}

/** Waits for `promise`, advancing the clock meanwhile: a handler may be pacing on it when the ESM stops. */
async function settle<T>(promise: Promise<T>, clock: FakeClock): Promise<T> {
  let done = false;
  void promise.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    await clock.advance(STEP_MS);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return promise;
}

/** A store whose writes fail, as DynamoDB throttling the controller would. */
const throttledWrites = (inner: CheckpointStore): CheckpointStore => ({
  get: (pk, sk) => inner.get(pk, sk),
  query: (pk, prefix) => inner.query(pk, prefix),
  transact: async (_writes: readonly TransactWrite[]) => {
    throw new Error('ProvisionedThroughputExceededException: injected');
  },
});

describe('published rate (processor on the local ESM, moto)', () => {
  it('limits the shard to the published rate from the next batch, and keeps it when the controller fails', async () => {
    // Prepare: 4,000 records wait in the shard; the processor runs under the local ESM on a fake clock.
    const clock = new FakeClock({ startMs: Date.now() });
    const handler = createProcessorHandler(wordCount, {
      env: { APP_NAME: APP, TABLE_NAME: tableName, BUCKET_NAME: bucket },
      checkpoints,
      objects: new S3ObjectStore({ client: aws.s3, bucket }),
      clock,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: { batchCommitted: () => undefined },
    });
    const esm = new LocalEsm({
      source: new KinesisSource({ client: aws.kinesis, streamName }),
      handler: (event) => handler(event),
      clock,
      eventSourceArn: streamArn('us-east-1', streamName),
      reportBatchItemFailures: true,
      // Small batches commit in small steps, so a window of a few seconds sees the rate, not the batch size.
      batchSize: 10,
      pollIntervalMs: STEP_MS,
      retryDelayMs: STEP_MS,
      shardSyncIntervalMs: 1e9,
    });
    await publish(200);
    const stop = new AbortController();
    const running: Promise<EsmRunSummary> = esm.run({ signal: stop.signal });
    // Let the first second pass (a token bucket starts full; a new allowance schedule restarts).
    await advanceWhenIdle(clock, 2, 1_000, STEP_MS);

    // Act
    const at200 = await throughput(clock, 5_000);
    await publish(100);
    const at100 = await throughput(clock, 5_000);
    // The controller's next run fails (its writes are throttled): the published rate stays.
    const controller = createControllerHandler(loadControllerConfig({ SLUICE_APP: APP, SLUICE_TABLE_NAME: tableName, SLUICE_CONTROLLER_BUDGET_MS: '1000' }), {
      checkpoints: throttledWrites(checkpoints),
      clock: new FakeClock({ startMs: clock.nowMs(), autoAdvance: true }),
    });
    const failedRun = await controller({}, { getRemainingTimeInMillis: () => 60_000 }).then(
      () => 'ok',
      (error: unknown) => String(error),
    );
    const afterFailure = await throughput(clock, 5_000);
    stop.abort();
    const summary = await settle(running, clock);

    // Assess
    expect(Math.abs(at200 - 200) / 200).toBeLessThanOrEqual(0.1);
    expect(Math.abs(at100 - 100) / 100).toBeLessThanOrEqual(0.1);
    expect(failedRun).toMatch(/processors keep the last published rates/);
    expect(Math.abs(afterFailure - 100) / 100).toBeLessThanOrEqual(0.1);
    expect(summary.discarded).toEqual([]);
    expect(await committedRecords()).toBeLessThan(4_000);
  });
});
