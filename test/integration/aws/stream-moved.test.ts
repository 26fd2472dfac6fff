import { CreateEventSourceMappingCommand, CreateFunctionCommand, DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import { createMotoRole } from '../../helpers/moto';
import { DeleteStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { ConfigError } from '../../../lib/core/errors';
import { parseRecord, type CheckpointRecord } from '../../../lib/runtime/protocol/checkpoint-record';
import { readControlItem } from '../../../lib/runtime/controller/control-item';
import { loadControllerConfig } from '../../../lib/runtime/controller/controller-config';
import { createControllerHandler } from '../../../lib/runtime/controller/create-controller-handler';
import { LambdaEventSourceMappings } from '../../../lib/adapters/aws/lambda-event-source-mappings';
import { streamArn } from '../../../lib/runtime/local-esm/kinesis-event';
import { openLocalAwsApp } from '../../../lib/compose/local-aws-app';
import { createLocalAwsProcessor } from '../../../lib/compose/local-aws-processor';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { runCli } from '../../helpers/run-cli';
import { recordsOf } from '../../helpers/word-records';
import { eventOf } from '../../unit/functions/fixtures';
import { TestAwsApp, uniqueName } from './aws-app';

const endpoint = inject('awsEndpoint');
const app = new TestAwsApp(endpoint);
const streams: string[] = [];
const functions: string[] = [];

beforeAll(async () => {
  await app.create();
});

afterAll(async () => {
  const { aws } = app;
  await Promise.all([
    ...streams.map((name) => aws.kinesis.send(new DeleteStreamCommand({ StreamName: name }))),
    ...functions.map((name) => aws.lambda.send(new DeleteFunctionCommand({ FunctionName: name }))),
  ]);
  await app.destroy();
});

/** A new stream of `shards` shards holding `lines`, one record per line. */
async function streamWith(shards: number, lines: readonly string[]): Promise<string> {
  const name = uniqueName('moved');
  streams.push(name);
  await KinesisWriter.createStream(app.aws.kinesis, name, shards);
  if (lines.length > 0)
    await app.aws.kinesis.send(
      new PutRecordsCommand({ StreamName: name, Records: lines.map((line, i) => ({ PartitionKey: `k${i}`, Data: new TextEncoder().encode(line) })) }),
    );
  return name;
}

/** The `sourceId` of every committed checkpoint of `appName` in `checkpoints`. */
async function committedSources(checkpoints: DynamoDbCheckpointStore, appName: string): Promise<Record<string, string | undefined>> {
  const shards = (await checkpoints.query(StorageKeys.appPartition(appName), StorageKeys.SHARD_PREFIX)).map((i) => i.sk.slice(StorageKeys.SHARD_PREFIX.length));
  const out: Record<string, string | undefined> = {};
  for (const shardId of shards) {
    const item = await checkpoints.get(StorageKeys.shardPartition(appName, shardId), StorageKeys.CHECKPOINT_SK);
    out[shardId] = item === undefined ? undefined : parseRecord<CheckpointRecord>(item.sk, item.data).sourceId;
  }
  return out;
}

describe('an app moved to another stream', () => {
  it('is refused by sluice dev before the local event source mapping reads, naming both streams', async () => {
    // Prepare: app X processes stream A; 7 records are then put on a new stream B.
    const appName = uniqueName('moved-dev');
    const first = await streamWith(2, ['a b', 'c d', 'e f', 'g h', 'i j']);
    const processed = await runCli(['dev', '--endpoint', endpoint, '--stream', first, '--shards', '2', '--app', appName, '--drain', '--batching-window', '0']);
    const second = await streamWith(2, ['one', 'two', 'three', 'four', 'five', 'six', 'seven']);
    // Act
    const moved = await runCli([
      'dev',
      '--endpoint',
      endpoint,
      '--stream',
      second,
      '--shards',
      '2',
      '--app',
      appName,
      '--drain',
      '--batching-window',
      '0',
      '--duration',
      '20',
    ]);
    // The local event source mapping on its own, as tests and tools build it.
    const local = openLocalAwsApp({ app: appName, endpoint, region: 'us-east-1' });
    const invocations: string[] = [];
    const esm = createLocalAwsProcessor({
      app: local,
      pipeline: compilePipeline(wordCount as never),
      streamName: second,
      onInvocation: (report) => void invocations.push(report.shardId),
    });
    const esmRun = await esm.run({ untilDrained: true, signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => error);
    local.clients.destroy();
    // Assess
    expect(processed.code, processed.stderr).toBe(0);
    expect(processed.stdout).toContain('stopped (drained): 5 records in');
    expect(moved.code).toBe(1);
    expect(moved.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^sluice: source: shard shardId-00000000000[01] of app ${appName} holds the offsets of ${streamArn('us-east-1', first)} \\(committed up to \\d+\\), not of ${streamArn('us-east-1', second)}; give this stream an app of its own \\(--app\\), or delete the app's checkpoint to start over$`,
        ),
      ),
    ]);
    expect(esmRun).toBeInstanceOf(ConfigError);
    expect((esmRun as Error).message).toContain(`not of ${streamArn('us-east-1', second)}`);
    expect(invocations).toEqual([]);
    const appTable = new DynamoDbCheckpointStore({ client: app.aws.dynamodb, tableName: `sluice-${appName}` });
    expect(Object.values(await committedSources(appTable, appName))).toEqual([streamArn('us-east-1', first), streamArn('us-east-1', first)]);
  });

  it('is refused by the processor function for a shard the app has never seen, naming both streams', async () => {
    // Prepare: shard 0 of stream A committed; stream B's shard 5 has no checkpoint under the app.
    const appName = uniqueName('moved-handler');
    const handler = app.handler(wordCount, appName);
    await handler(eventOf(recordsOf(['a b'], 1, Date.now()), 'shardId-000000000000'));
    const other = eventOf(recordsOf(['c d'], 1, Date.now()), 'shardId-000000000005');
    for (const r of other.Records) r.eventSourceARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/events';
    // Act
    const refused = app.handler(wordCount, appName)(other);
    // Assess
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow(
      `source: shard shardId-000000000000 of app ${appName} holds the offsets of arn:aws:kinesis:us-east-1:000000000000:stream/words (committed up to 1), not of arn:aws:kinesis:us-east-1:000000000000:stream/events; give this stream an app of its own (APP_NAME), or delete the app's checkpoint to start over`,
    );
    expect(await committedSources(app.checkpoints, appName)).toEqual({ 'shardId-000000000000': 'arn:aws:kinesis:us-east-1:000000000000:stream/words' });
  });

  it('is refused by the controller for every shard of the old stream: no rate published, no tick, and the run fails naming both', async () => {
    // Prepare: app X committed shard 0 of stream A; its processor function's mapping now reads stream B.
    const appName = uniqueName('moved-controller');
    await app.handler(wordCount, appName)(eventOf(recordsOf(['a b'], 1, Date.now()), 'shardId-000000000000'));
    const moved = await streamWith(1, []);
    const functionName = uniqueName('moved-processor');
    functions.push(functionName);
    const role = await createMotoRole(endpoint, uniqueName('moved-role'));
    await app.aws.lambda.send(
      new CreateFunctionCommand({
        FunctionName: functionName,
        Role: role,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Code: { ZipFile: new Uint8Array([80, 75, 5, 6, ...new Array<number>(18).fill(0)]) },
      }),
    );
    const movedArn = (await app.aws.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: moved }))).StreamDescriptionSummary!.StreamARN!;
    const mapping = await app.aws.lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: functionName, EventSourceArn: movedArn, StartingPosition: 'TRIM_HORIZON', BatchSize: 100 }),
    );
    const config = loadControllerConfig({
      SLUICE_APP: appName,
      SLUICE_TABLE_NAME: app.tableName,
      SLUICE_CONTROLLER_BUDGET_MS: '1000',
      SLUICE_EVENT_SOURCE_MAPPING_ID: mapping.UUID,
      SLUICE_PROCESSOR_FUNCTION_NAME: functionName,
    });
    const requested: string[] = [];
    const run = createControllerHandler(config, {
      checkpoints: app.checkpoints,
      mappings: new LambdaEventSourceMappings(app.aws.lambda),
      idleTicker: { request: async (shardId) => void requested.push(shardId) },
      clock: { nowMs: () => Date.now(), sleep: async () => undefined },
    });
    // Act
    const outcome = run({}, { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'moved' });
    // Assess
    await expect(outcome).rejects.toThrow(
      `(shard shardId-000000000000): source: shard shardId-000000000000 of app ${appName} holds the offsets of arn:aws:kinesis:us-east-1:000000000000:stream/words (committed up to 1), not of ${movedArn}; give this stream an app of its own (SLUICE_APP, APP_NAME), or delete the app's checkpoint to start over`,
    );
    const control = await app.checkpoints.get(StorageKeys.shardPartition(appName, 'shardId-000000000000'), StorageKeys.CONTROL_SK);
    expect(readControlItem(control).control).toBeUndefined();
    expect(requested).toEqual([]);
  });
});
