import {
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KinesisSource } from '../../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter, type KinesisWriteRecord } from '../../../../lib/adapters/aws/kinesis-writer';
import { ThrottledError } from '../../../../lib/core/errors';
import { createTestAwsClients, uniqueName } from '../../../helpers/moto';
import { interceptSend, type Next, type SentCommand } from './intercept-send';

const endpoint = inject('awsEndpoint');
const aws = createTestAwsClients(endpoint);
const streams: string[] = [];
const encoder = new TextEncoder();

async function newStream(shards = 2): Promise<string> {
  const name = uniqueName('sluice-stream');
  streams.push(name);
  await KinesisWriter.createStream(aws.kinesis, name, shards);
  return name;
}

const records = (count: number, prefix = 'record'): KinesisWriteRecord[] =>
  Array.from({ length: count }, (_, i) => ({ partitionKey: `key-${i % 17}`, data: encoder.encode(`${prefix}-${i}`) }));

/** Every record of the stream's shards, as text, sorted (PutRecords does not order across shards). */
async function contentsOf(streamName: string): Promise<string[]> {
  const source = new KinesisSource({ client: aws.kinesis, streamName });
  const texts: string[] = [];
  for (const shard of await source.listShards()) {
    let afterSeq: string | undefined;
    for (;;) {
      const { records: page } = await source.read(shard.shardId, afterSeq, 10_000);
      if (page.length === 0) break;
      texts.push(...page.map((r) => new TextDecoder().decode(r.data)));
      afterSeq = page.at(-1)!.seq;
    }
  }
  return texts.sort();
}

/**
 * Answers PutRecords as Kinesis does under a hot shard: the entries `fail` picks get an ErrorCode
 * inside an HTTP 200 and never reach the stream; the others are really written by moto.
 */
function failEntries(fail: (entry: PutRecordsRequestEntry, call: number) => string | undefined) {
  let call = 0;
  return async (command: SentCommand, next: Next, original: unknown): Promise<unknown> => {
    if (command.name !== 'PutRecordsCommand') return next(original);
    call++;
    const input = command.input as unknown as PutRecordsCommandInput;
    const entries = input.Records ?? [];
    const codes = entries.map((entry) => fail(entry, call));
    const passed = entries.filter((_, i) => codes[i] === undefined);
    const real = passed.length === 0 ? [] : (((await next(new PutRecordsCommand({ ...input, Records: passed }))) as PutRecordsCommandOutput).Records ?? []);
    let r = 0;
    const results = codes.map((code): PutRecordsResultEntry =>
      code === undefined ? real[r++]! : { ErrorCode: code, ErrorMessage: `Rate exceeded for shard` },
    );
    return { $metadata: { httpStatusCode: 200 }, FailedRecordCount: codes.filter((c) => c !== undefined).length, Records: results };
  };
}

const textOf = (entry: PutRecordsRequestEntry): string => new TextDecoder().decode(entry.Data);
const putCalls = (sent: readonly SentCommand[]): PutRecordsRequestEntry[][] =>
  sent.filter((c) => c.name === 'PutRecordsCommand').map((c) => c.input.Records as PutRecordsRequestEntry[]);

afterAll(async () => {
  await Promise.all(streams.map((name) => aws.kinesis.send(new DeleteStreamCommand({ StreamName: name }))));
  aws.destroy();
});

describe('KinesisWriter', () => {
  describe('createStream', () => {
    it('creates an ACTIVE stream with the shards asked for, and accepts it existing', async () => {
      // Prepare
      const name = await newStream(3);
      // Act
      await KinesisWriter.createStream(aws.kinesis, name, 3);
      // Assess
      const { StreamDescriptionSummary } = await aws.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      expect([StreamDescriptionSummary?.StreamStatus, StreamDescriptionSummary?.OpenShardCount]).toEqual(['ACTIVE', 3]);
    });
  });

  describe('putAll', () => {
    it('packs 1,200 records into requests of 500, 500 and 200 and reports progress after each', async () => {
      // Prepare
      const streamName = await newStream();
      const client = createTestAwsClients(endpoint).kinesis;
      const sent = interceptSend(client);
      const progress: [number, number][] = [];
      const input = records(1_200);
      // Act
      const result = await new KinesisWriter({ client, streamName }).putAll(input, { onProgress: (w, t) => progress.push([w, t]) });
      // Assess
      expect(result).toEqual({ written: 1_200, failed: 0, failures: [] });
      expect(putCalls(sent).map((entries) => entries.length)).toEqual([500, 500, 200]);
      expect(progress).toEqual([
        [500, 1_200],
        [1_000, 1_200],
        [1_200, 1_200],
      ]);
      expect(await contentsOf(streamName)).toEqual(input.map((r) => new TextDecoder().decode(r.data)).sort());
      client.destroy();
    });

    it('packs records of 1,000,000 bytes five to a request, under the 5 MiB limit', async () => {
      // Prepare: six would be 6,000,000 bytes > 5,242,880.
      const streamName = await newStream();
      const client = createTestAwsClients(endpoint).kinesis;
      const sent = interceptSend(client);
      const input = Array.from({ length: 12 }, (_, i) => ({ partitionKey: `k${i}`, data: new Uint8Array(1_000_000).fill(i) }));
      // Act
      const result = await new KinesisWriter({ client, streamName }).putAll(input);
      // Assess
      expect(result.written).toBe(12);
      expect(putCalls(sent).map((entries) => entries.length)).toEqual([5, 5, 2]);
      client.destroy();
    });

    it('resends only the entries that failed inside an HTTP 200, after a full-jitter backoff', async () => {
      // Prepare: every third entry of the first call hits a hot shard.
      const streamName = await newStream();
      const client = createTestAwsClients(endpoint).kinesis;
      const sent = interceptSend(
        client,
        failEntries((entry, call) => (call === 1 && Number(textOf(entry).split('-')[1]) % 3 === 0 ? 'ProvisionedThroughputExceededException' : undefined)),
      );
      const sleeps: number[] = [];
      const writer = new KinesisWriter({ client, streamName, baseDelayMs: 100, random: () => 0.25, sleep: async (ms) => void sleeps.push(ms) });
      const input = records(30);
      // Act
      const result = await writer.putAll(input);
      // Assess
      expect(result).toEqual({ written: 30, failed: 0, failures: [] });
      const [first, retry] = putCalls(sent);
      expect(first).toHaveLength(30);
      expect(retry!.map(textOf)).toEqual(input.filter((_, i) => i % 3 === 0).map((r) => new TextDecoder().decode(r.data)));
      expect(sleeps).toEqual([25]);
      expect(await contentsOf(streamName)).toEqual(input.map((r) => new TextDecoder().decode(r.data)).sort());
      client.destroy();
    });

    it('gives up on an entry after maxAttempts, doubling the jitter cap each time, and reports it by input index', async () => {
      // Prepare
      const streamName = await newStream();
      const client = createTestAwsClients(endpoint).kinesis;
      const sent = interceptSend(
        client,
        failEntries((entry) => (textOf(entry) === 'record-3' ? 'InternalFailure' : undefined)),
      );
      const sleeps: number[] = [];
      const writer = new KinesisWriter({
        client,
        streamName,
        maxAttempts: 4,
        baseDelayMs: 100,
        maxDelayMs: 300,
        random: () => 0.5,
        sleep: async (ms) => void sleeps.push(ms),
      });
      // Act
      const result = await writer.putAll(records(10));
      // Assess
      expect(result).toEqual({ written: 9, failed: 1, failures: [{ index: 3, errorCode: 'InternalFailure' }] });
      expect(putCalls(sent).map((entries) => entries.length)).toEqual([10, 1, 1, 1]);
      expect(sleeps).toEqual([50, 100, 150]);
      expect(await contentsOf(streamName)).toHaveLength(9);
      client.destroy();
    });

    it('does not retry an entry whose error code no retry can fix', async () => {
      // Prepare
      const streamName = await newStream();
      const client = createTestAwsClients(endpoint).kinesis;
      const sent = interceptSend(
        client,
        failEntries((entry) => (textOf(entry) === 'record-1' ? 'KMSAccessDeniedException' : undefined)),
      );
      // Act
      const result = await new KinesisWriter({ client, streamName, sleep: async () => {} }).putAll(records(3));
      // Assess
      expect(result).toEqual({ written: 2, failed: 1, failures: [{ index: 1, errorCode: 'KMSAccessDeniedException' }] });
      expect(putCalls(sent)).toHaveLength(1);
      client.destroy();
    });

    it('rejects a whole-request throttle as a retryable ThrottledError', async () => {
      // Prepare
      const streamName = await newStream();
      const client = createTestAwsClients(endpoint).kinesis;
      interceptSend(client, async () => {
        throw Object.assign(new Error('Rate exceeded for stream'), { name: 'LimitExceededException', $metadata: { httpStatusCode: 400 } });
      });
      // Act
      const put = new KinesisWriter({ client, streamName }).putAll(records(3));
      // Assess
      await expect(put).rejects.toSatisfy((e) => e instanceof ThrottledError && e.retryable);
      client.destroy();
    });
  });
});
