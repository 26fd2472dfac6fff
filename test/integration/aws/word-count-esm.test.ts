import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { SystemClock } from '../../../lib/adapters/local/system-clock';
import { streamArn } from '../../../lib/runtime/local-esm/kinesis-event';
import { LocalEsm, type InvocationReport } from '../../../lib/runtime/local-esm/local-esm';
import { countWords, sampleLines } from '../../helpers/word-records';
import { TestAwsApp, uniqueName } from './aws-app';

const app = new TestAwsApp(inject('awsEndpoint'));
const encoder = new TextEncoder();

beforeAll(async () => {
  await app.create();
});

afterAll(async () => {
  await app.destroy();
});

describe('LocalEsm', () => {
  describe('run', () => {
    it('gives exact word counts over a 3-shard stream through the processor handler', async () => {
      // Prepare: 600 lines spread over three shards by partition key.
      const streamName = await app.stream(3);
      const lines = sampleLines(600, 3);
      const pushed = await new KinesisWriter({ client: app.aws.kinesis, streamName }).putAll(
        lines.map((line, i) => ({ partitionKey: `line-${i}`, data: encoder.encode(line) })),
      );
      expect(pushed.failed).toBe(0);
      const appName = uniqueName('wc');
      const invocations: InvocationReport[] = [];
      const esm = new LocalEsm({
        source: new KinesisSource({ client: app.aws.kinesis, streamName }),
        handler: app.handler(wordCount, appName),
        clock: new SystemClock(),
        eventSourceArn: streamArn('us-east-1', streamName),
        batchSize: 100,
        reportBatchItemFailures: true,
        pollIntervalMs: 20,
        retryDelayMs: 20,
        onInvoke: (report) => invocations.push(report),
      });
      // Act
      const summary = await esm.run({ untilDrained: true });
      // Assess
      expect(summary.stoppedBy).toBe('drained');
      expect(await app.state(wordCount, appName)).toEqual(countWords(lines));
      expect(new Set(invocations.map((i) => i.shardId)).size).toBe(3);
      expect(invocations.every((i) => i.outcome.kind === 'success' && i.records <= 100)).toBe(true);
      expect(invocations.reduce((n, i) => n + i.records, 0)).toBe(600);
    });

    it('holds to the static rate by deferring records, and still counts each exactly once', async () => {
      // Prepare: 200 records/s per shard, 250 lines on one shard.
      const streamName = await app.stream(1);
      const lines = sampleLines(250, 5);
      await new KinesisWriter({ client: app.aws.kinesis, streamName }).putAll(lines.map((line, i) => ({ partitionKey: `k${i}`, data: encoder.encode(line) })));
      const appName = uniqueName('wc-rate');
      const invocations: InvocationReport[] = [];
      const handler = app.handler(wordCount, appName, {
        env: { APP_NAME: appName, TABLE_NAME: app.tableName, BUCKET_NAME: app.bucketName, MAX_RATE_PER_SHARD: '200' },
      });
      const esm = new LocalEsm({
        source: new KinesisSource({ client: app.aws.kinesis, streamName }),
        handler,
        clock: new SystemClock(),
        eventSourceArn: streamArn('us-east-1', streamName),
        batchSize: 250,
        reportBatchItemFailures: true,
        pollIntervalMs: 20,
        retryDelayMs: 100,
        onInvoke: (report) => invocations.push(report),
      });
      // Act
      await esm.run({ untilDrained: true });
      // Assess: the first invocation got 250 records and committed a one-second burst, deferring the rest.
      expect(invocations[0]).toMatchObject({ records: 250, outcome: { kind: 'partial', fromIndex: 200 } });
      expect(invocations.at(-1)!.outcome).toEqual({ kind: 'success' });
      expect(await app.state(wordCount, appName)).toEqual(countWords(lines));
    });
  });
});
