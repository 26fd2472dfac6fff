import { gunzipSync } from 'node:zlib';
import { CreateTableCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { S3ObjectStore } from '../../../lib/adapters/aws/s3-object-store';
import { pipeline } from '../../../lib/core/pipeline/stream';
import { readQuarantine } from '../../../lib/runtime/failures/read-quarantine';
import { dynamoDbSink, kinesisSink, s3Sink, sqsSink, SQS_ID_ATTRIBUTE } from '../../../lib/sinks';
import { CrashInjector, deliverAll, sweepCrashPoints } from '../../helpers/crash-injector';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';
import { eventOf } from '../../unit/functions/fixtures';
import { TestAwsApp, uniqueName } from '../aws/aws-app';

const endpoint = inject('awsEndpoint');
const app = new TestAwsApp(endpoint);
const sqs = new SQSClient({ endpoint, region: 'us-east-1' });
const itemsTable = uniqueName('sink-items');
const totalsTable = uniqueName('sink-totals');
const exportBucket = uniqueName('sink-export');
const outStream = uniqueName('sink-out');
let standardQueue = '';
let fifoQueue = '';

beforeAll(async () => {
  await app.create();
  const table = (name: string, key: string) =>
    app.aws.dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      }),
    );
  await Promise.all([
    table(itemsTable, 'id'),
    table(totalsTable, 'word'),
    S3ObjectStore.createBucket(app.aws.s3, exportBucket),
    KinesisWriter.createStream(app.aws.kinesis, outStream, 1),
  ]);
  standardQueue = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('sink-std') }))).QueueUrl!;
  fifoQueue = (await sqs.send(new CreateQueueCommand({ QueueName: `${uniqueName('sink-fifo')}.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
});

afterAll(async () => {
  await app.destroy();
  sqs.destroy();
});

const lines = sampleLines(40, 3).map((line, i) => `${i} ${line}`);
const all = recordsOf(lines, 1, Date.now());
/** Three deliveries whose boundaries overlap, as ESM retries after a partial failure would bring. */
const deliveries = [all.slice(0, 15), all.slice(10, 30), all.slice(25, 40)].map((records) => eventOf(records));

/** Every sink at once, each tapping the stream the way a user would write it. */
function sinkPipeline(name: string) {
  const input = pipeline<string>(name)
    .foreachBatch(dynamoDbSink({ tableName: itemsTable, client: app.aws.dynamodb, idAttribute: 'id', item: (line) => ({ line, app: name }) }))
    .foreachBatch(s3Sink({ bucket: exportBucket, prefix: 'lines/', client: app.aws.s3, gzip: true }))
    .foreachBatch(kinesisSink({ streamName: outStream, client: app.aws.kinesis, data: (line, id) => JSON.stringify({ id, value: line }) }))
    .foreachBatch(sqsSink({ queueUrl: standardQueue, client: sqs }))
    .foreachBatch(sqsSink({ queueUrl: fifoQueue, client: sqs }));
  return input
    .flatMap((line) => line.split(/\s+/).slice(1).filter(Boolean))
    .countByValue()
    .updateStateByKey<string, number, number>((counts, total = 0) => counts.reduce((a, b) => a + b, total))
    .foreachBatch(
      dynamoDbSink({
        tableName: totalsTable,
        client: app.aws.dynamodb,
        mode: 'upsert',
        keyAttributes: ['word'],
        item: ([word, count]) => ({ word: `${name}:${word}`, count }),
      }),
    );
}

async function scan(table: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await app.aws.dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

/** The lines of every batch object of `appName`, in key (batch) order, and how many objects there are. */
async function exportedLines(appName: string): Promise<{ objects: number; lines: string[] }> {
  const listed = await app.aws.s3.send(new ListObjectsV2Command({ Bucket: exportBucket, Prefix: `lines/${appName}/` }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
  const out: string[] = [];
  for (const key of keys) {
    const { Body } = await app.aws.s3.send(new GetObjectCommand({ Bucket: exportBucket, Key: key }));
    const text = new TextDecoder().decode(gunzipSync(await Body!.transformToByteArray()));
    out.push(
      ...text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string),
    );
  }
  return { objects: keys.length, lines: out };
}

/** Every record on the output stream, read from the start. */
async function streamRecords(): Promise<Array<{ id: string; value: string }>> {
  const { Shards } = await app.aws.kinesis.send(new ListShardsCommand({ StreamName: outStream }));
  const out: Array<{ id: string; value: string }> = [];
  for (const shard of Shards ?? []) {
    let iterator = (
      await app.aws.kinesis.send(new GetShardIteratorCommand({ StreamName: outStream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    for (;;) {
      const page = await app.aws.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      out.push(...(page.Records ?? []).map((r) => JSON.parse(new TextDecoder().decode(r.Data)) as { id: string; value: string }));
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/** Every message of a queue (received and deleted), as [sluice-id, body]. */
async function drain(queueUrl: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    if (Messages === undefined || Messages.length === 0) return out;
    out.push(...Messages.map((m) => [m.MessageAttributes![SQS_ID_ATTRIBUTE]!.StringValue!, m.Body!] as [string, string]));
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
    );
  }
}

/** Checks every sink's output of `appName` against the input: one copy each, or ids naming the copies. */
async function expectExactlyOnceOutputs(
  appName: string,
  allStream: Array<{ id: string; value: string }>,
  allStandard: Array<[string, string]>,
  allFifo: Array<[string, string]>,
  label: string,
): Promise<void> {
  const ours = ([id]: [string, string]): boolean => id.startsWith(`${appName}/`);
  const stream = allStream.filter((r) => r.id.startsWith(`${appName}/`));
  const standard = allStandard.filter(ours);
  const fifo = allFifo.filter(ours);
  const items = (await scan(itemsTable)).filter((item) => item.app === appName);
  expect(items.map((i) => i.line).sort(), `${label}: DynamoDB items`).toEqual([...lines].sort());
  const totals = Object.fromEntries(
    (await scan(totalsTable)).filter((t) => String(t.word).startsWith(`${appName}:`)).map((t) => [String(t.word).slice(appName.length + 1), t.count]),
  );
  expect(totals, `${label}: DynamoDB totals`).toEqual(countWords(lines.map((l) => l.split(' ').slice(1).join(' '))));
  const exported = await exportedLines(appName);
  expect(exported.lines, `${label}: S3 objects`).toEqual(lines);
  // Kinesis and SQS standard: copies may exist, but their ids say which; one value per id, every line once.
  for (const [what, pairs] of [
    ['Kinesis', stream.map((r) => [r.id, r.value] as [string, string])],
    ['SQS standard', standard.map(([id, body]) => [id, JSON.parse(body) as string] as [string, string])],
  ] as const) {
    const byId = new Map<string, Set<string>>();
    for (const [id, value] of pairs) byId.set(id, (byId.get(id) ?? new Set()).add(value));
    expect(
      [...byId.values()].every((values) => values.size === 1),
      `${label}: ${what} ids name one value each`,
    ).toBe(true);
    expect([...byId.values()].map((v) => [...v][0]).sort(), `${label}: ${what} distinct ids`).toEqual([...lines].sort());
  }
  // SQS FIFO: the queue itself dropped the copies.
  expect(
    fifo.map(([, body]) => JSON.parse(body) as string),
    `${label}: SQS FIFO`,
  ).toEqual(lines);
}

describe('sinks on moto', () => {
  it('leave one copy (or ids naming the copies) after a crash before or after each checkpoint and WAL call', async () => {
    // Prepare: count the port calls of a clean run, to crash at each one.
    const probe = new CrashInjector(Number.MAX_SAFE_INTEGER, 'before');

    const probeApp = uniqueName('sinks-probe');
    await deliverAll(
      app.handler(sinkPipeline(probeApp), probeApp, { checkpoints: probe.checkpoints(app.checkpoints), objects: probe.objects(app.objects) }),
      () => app.handler(sinkPipeline(probeApp), probeApp),
      deliveries,
    );
    await expectExactlyOnceOutputs(probeApp, await streamRecords(), await drain(standardQueue), await drain(fifoQueue), 'no crash');
    expect(probe.calls).toBeGreaterThanOrEqual(9);
    for (const when of ['before', 'after'] as const) {
      const swept = await sweepCrashPoints(when, async (crash, crashAt) => {
        const appName = uniqueName(`sinks-${when}-${crashAt}`);
        // Act
        const crashes = await deliverAll(
          app.handler(sinkPipeline(appName), appName, { checkpoints: crash.checkpoints(app.checkpoints), objects: crash.objects(app.objects) }),
          () => app.handler(sinkPipeline(appName), appName),
          deliveries,
        );
        // Assess
        await expectExactlyOnceOutputs(appName, await streamRecords(), await drain(standardQueue), await drain(fifoQueue), `crash ${when} call ${crashAt}`);
        return crashes;
      });
      expect(swept).toBeGreaterThanOrEqual(9);
    }
  }, 300_000);

  it('writes again, under the same ids, when a batch is re-run after its sinks wrote and before it committed', async () => {
    // Crash on the commit of every batch once, so every sink writes every batch twice.
    const appName = uniqueName('sinks-rerun');
    const probe = new CrashInjector(Number.MAX_SAFE_INTEGER, 'before');
    await deliverAll(
      app.handler(sinkPipeline(uniqueName('p')), 'p', { checkpoints: probe.checkpoints(app.checkpoints), objects: probe.objects(app.objects) }),
      () => app.handler(sinkPipeline('p'), 'p'),
      deliveries.slice(0, 1),
    );
    // Calls of one delivery on a fresh app: read, WAL put, commit — the commit is the last.
    const crash = new CrashInjector(probe.calls, 'before');
    const crashes = await deliverAll(
      app.handler(sinkPipeline(appName), appName, { checkpoints: crash.checkpoints(app.checkpoints), objects: crash.objects(app.objects) }),
      () => app.handler(sinkPipeline(appName), appName),
      deliveries,
    );
    expect(crashes).toBe(1);
    const stream = (await streamRecords()).filter((r) => r.id.startsWith(`${appName}/`));
    const standard = (await drain(standardQueue)).filter(([id]) => id.startsWith(`${appName}/`));
    // The first batch's elements went out twice to Kinesis and SQS standard: the copies share ids.
    expect(stream.length).toBeGreaterThan(lines.length);
    expect(standard.length).toBeGreaterThan(lines.length);
    await expectExactlyOnceOutputs(appName, stream, standard, await drain(fifoQueue), 'crash before the first commit');
  }, 120_000);

  it('leaves one copy when two containers run the same delivery at once, and after it is delivered again', async () => {
    const appName = uniqueName('sinks-dup');
    const handlers = [app.handler(sinkPipeline(appName), appName), app.handler(sinkPipeline(appName), appName)];
    for (const event of deliveries) {
      // Act: both run the event; one commit wins, the other is fenced and the ESM would retry it.
      const results = await Promise.allSettled(handlers.map((h) => h(event)));
      for (const [i, result] of results.entries()) {
        if (result.status === 'rejected') await handlers[i]!(event);
      }
      // A duplicate delivery of a committed event writes nothing.
      await handlers[0]!(event);
    }
    // Assess
    await expectExactlyOnceOutputs(appName, await streamRecords(), await drain(standardQueue), await drain(fifoQueue), 'duplicate invocations');
  }, 120_000);

  it("stops the shard with the service's own error, setting nothing aside, when a sink's resource does not exist", async () => {
    const missing = [
      [
        'DynamoDB',
        dynamoDbSink({ tableName: uniqueName('no-table'), client: app.aws.dynamodb, idAttribute: 'id', item: (line: string) => ({ line }) }),
        /^ResourceNotFound/,
      ],
      ['S3', s3Sink({ bucket: uniqueName('no-bucket'), client: app.aws.s3 }), /^NoSuchBucket/],
      ['Kinesis', kinesisSink({ streamName: uniqueName('no-stream'), client: app.aws.kinesis }), /^ResourceNotFound/],
      ['SQS', sqsSink({ queueUrl: `${standardQueue}-missing`, client: sqs }), /^(QueueDoesNotExist|NonExistentQueue)/],
    ] as const;
    for (const [what, sink, name] of missing) {
      const appName = uniqueName(`sinks-missing-${what.toLowerCase()}`);
      const handler = app.handler(pipeline<string>(appName).foreachBatch(sink), appName, {
        env: { APP_NAME: appName, TABLE_NAME: app.tableName, BUCKET_NAME: app.bucketName, MAX_BATCH_ATTEMPTS: '1' },
      });
      // Act: even with one attempt allowed, nothing is set aside: the sink cannot work for any batch.
      for (let i = 0; i < 2; i++) await expect(handler(deliveries[0]!), what).rejects.toMatchObject({ name: expect.stringMatching(name) });
      // Assess
      expect(await readQuarantine(app.objects, app.checkpoints, appName), what).toEqual([]);
    }
  }, 120_000);
});
