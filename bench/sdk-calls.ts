import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { parseArgs } from 'node:util';
import { createAwsClients } from '../lib/adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../lib/adapters/aws/dynamodb-checkpoint-store';
import { S3ObjectStore } from '../lib/adapters/aws/s3-object-store';
import type { SourceRecord } from '../lib/core/source-record';
import { createProcessorHandler } from '../lib/compose/create-processor-handler';
import { toKinesisStreamEvent } from '../lib/runtime/local-esm/kinesis-event';
import wordCount from '../examples/word-count-per-shard';
import { startMotoServer } from '../test/helpers/moto';
import { wordLines } from './word-lines';

/** One SDK call as the counting middleware saw it (retries inside the SDK count once). */
interface Call {
  readonly service: 'dynamodb' | 's3';
  readonly command: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly items?: number;
}

/** The calls of one batch, summarized. */
interface BatchCalls {
  readonly dynamodb: number;
  readonly s3: number;
  /** Calls on the critical path: calls that overlap in time count once. */
  readonly sequential: number;
  readonly commitItems: number;
  readonly commands: string;
}

const SHARD = 'shardId-000000000000';
const ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/bench';

/**
 * SDK calls per micro-batch of the Lambda processor, against moto (or `AWS_ENDPOINT_URL`), for
 * batches of 100, 1,000 and 10,000 word-count records: a middleware on the DynamoDB and S3 clients
 * counts every call and its time span. Three batches per size: the shard's first batch (cold
 * container, no state yet), the next one on the same container (warm state cache), and one more on
 * a new container (cold: it loads the state buckets). The baseline is what a hand-written Lambda
 * word count does: one `UpdateItem ADD` per distinct word of the batch, measured the same way on the
 * warm batch (`--baseline off` skips it: at ~5 ms a call on moto it is most of the run's time).
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { sizes: { type: 'string', default: '100,1000,10000' }, baseline: { type: 'string', default: 'on' } } });
  const sizes = values.sizes.split(',').map(Number);
  const withBaseline = values.baseline !== 'off';
  const moto = process.env.AWS_ENDPOINT_URL ? undefined : await startMotoServer();
  const endpoint = process.env.AWS_ENDPOINT_URL ?? moto!.url;
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const aws = createAwsClients({ endpoint, region: 'us-east-1' });
  const calls: Call[] = [];
  count(aws.dynamodb, 'dynamodb', calls);
  count(aws.s3, 's3', calls);
  const suffix = Date.now().toString(36);
  const tableName = `sluice-bench-${suffix}`;
  const bucket = `sluice-bench-${suffix}`;
  try {
    await DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName);
    await S3ObjectStore.createBucket(aws.s3, bucket);
    console.log(`sdk-calls bench: word count through the processor handler, against ${moto ? 'moto (started for this run)' : endpoint}`);
    console.log(
      `${'records'.padStart(8)} ${'batch'.padEnd(24)} ${'keys'.padStart(6)} ${'DynamoDB'.padStart(9)} ${'S3'.padStart(4)} ${'sequential'.padStart(11)} ${'commit items'.padStart(13)}  calls in order`,
    );
    const warmDynamo: number[] = [];
    const baselineDynamo: number[] = [];
    for (const size of sizes) {
      const lines = wordLines(size, size * 3);
      const records = lines.map((line, i): SourceRecord => ({
        seq: String(1_000_000 + i),
        arrivalMs: Date.now(),
        partitionKey: `k${i}`,
        data: new TextEncoder().encode(line),
      }));
      const env = { APP_NAME: `bench-${size}-${suffix}`, TABLE_NAME: tableName, BUCKET_NAME: bucket };
      const container = () =>
        createProcessorHandler(wordCount, {
          env,
          clients: aws,
          logger: new Logger({ logLevel: 'SILENT' }),
          metrics: { batchCommitted: () => undefined },
          output: { print: () => undefined },
        });
      const first = container();
      const batches: Array<[string, SourceRecord[], typeof first]> = [
        ['first (cold, no state)', records.slice(0, size), first],
        ['next (warm)', records.slice(size, 2 * size), first],
        ['next (new container)', records.slice(2 * size), container()],
      ];
      for (const [label, batch, handler] of batches) {
        calls.length = 0;
        const response = await handler(toKinesisStreamEvent(batch, { shardId: SHARD, eventSourceArn: ARN }));
        if (response.batchItemFailures.length > 0) throw new Error(`batch of ${size} deferred records: ${JSON.stringify(response)}`);
        const summary = summarize(calls);
        const keys = distinctWords(batch);
        console.log(
          `${fmt(size).padStart(8)} ${label.padEnd(24)} ${fmt(keys).padStart(6)} ${String(summary.dynamodb).padStart(9)} ${String(summary.s3).padStart(4)} ${String(summary.sequential).padStart(11)} ${String(summary.commitItems).padStart(13)}  ${summary.commands}`,
        );
        if (label !== 'next (warm)') continue;
        warmDynamo.push(summary.dynamodb);
        if (!withBaseline) continue;
        // The same warm batch, counted by a hand-written word count: one UpdateItem per distinct word.
        const baseline = await perKeyBaseline(aws.dynamodb, tableName, `${env.APP_NAME}-baseline`, batch, calls);
        baselineDynamo.push(baseline);
        console.log(
          `${fmt(size).padStart(8)} ${'baseline (warm batch)'.padEnd(24)} ${fmt(keys).padStart(6)} ${fmt(baseline).padStart(9)} ${'0'.padStart(4)} ${'-'.padStart(11)} ${'-'.padStart(13)}  UpdateItem ADD per word, 16 in flight`,
        );
      }
    }
    const last = sizes.length - 1;
    console.log(
      `growth: a warm batch of ${fmt(sizes[last]!)} records makes ${warmDynamo[last]} DynamoDB calls, one of ${fmt(sizes[0]!)} makes ${warmDynamo[0]} (×${(warmDynamo[last]! / warmDynamo[0]!).toFixed(2)})`,
    );
    if (withBaseline)
      console.log(
        `ratio ${(baselineDynamo[last]! / warmDynamo[last]!).toFixed(0)} (DynamoDB calls of the per-key baseline / sluice's, warm batch of ${fmt(sizes[last]!)} records)`,
      );
    return 0;
  } finally {
    aws.destroy();
    await moto?.stop();
  }
}

/** Adds a middleware that records every call of `client` with its time span. */
function count(client: DynamoDBClient | S3Client, service: Call['service'], calls: Call[]): void {
  (client.middlewareStack as { add: (mw: unknown, options: { step: string; name: string }) => void }).add(
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: Record<string, unknown> }) => {
        const startMs = performance.now();
        try {
          return await next(args);
        } finally {
          const items = Array.isArray(args.input.TransactItems) ? args.input.TransactItems.length : undefined;
          calls.push({ service, command: (context.commandName ?? '?').replace(/Command$/, ''), startMs, endMs: performance.now(), items });
        }
      },
    { step: 'initialize', name: 'sluiceBenchCallCounter' },
  );
}

function summarize(calls: readonly Call[]): BatchCalls {
  const sorted = [...calls].sort((a, b) => a.startMs - b.startMs);
  let sequential = 0;
  let busyUntil = Number.NEGATIVE_INFINITY;
  for (const c of sorted) {
    if (c.startMs >= busyUntil) sequential++;
    busyUntil = Math.max(busyUntil, c.endMs);
  }
  return {
    dynamodb: calls.filter((c) => c.service === 'dynamodb').length,
    s3: calls.filter((c) => c.service === 's3').length,
    sequential,
    commitItems: calls.reduce((n, c) => n + (c.items ?? 0), 0),
    commands: sorted.map((c) => c.command).join(' → '),
  };
}

/** A hand-written word count: one atomic counter update per distinct word, 16 in flight. Returns its DynamoDB calls. */
async function perKeyBaseline(client: DynamoDBClient, tableName: string, app: string, batch: readonly SourceRecord[], calls: Call[]): Promise<number> {
  calls.length = 0;
  const counts = new Map<string, number>();
  for (const r of batch) for (const w of new TextDecoder().decode(r.data).split(/\s+/)) if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
  const entries = [...counts];
  await Promise.all(
    Array.from({ length: 16 }, async (_, lane) => {
      for (let i = lane; i < entries.length; i += 16) {
        const [word, n] = entries[i]!;
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: app }, sk: { S: word } },
            UpdateExpression: 'ADD #c :n',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':n': { N: String(n) } },
          }),
        );
      }
    }),
  );
  return summarize(calls).dynamodb;
}

function distinctWords(batch: readonly SourceRecord[]): number {
  const words = new Set<string>();
  for (const r of batch) for (const w of new TextDecoder().decode(r.data).split(/\s+/)) if (w) words.add(w);
  return words.size;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
