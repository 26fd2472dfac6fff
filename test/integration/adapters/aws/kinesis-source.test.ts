import {
  DeleteStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  MergeShardsCommand,
  GetShardIteratorCommand,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  SplitShardCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KinesisSource } from '../../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../../lib/adapters/aws/kinesis-writer';
import { ThrottledError } from '../../../../lib/core/errors';
import type { SourceRecord } from '../../../../lib/core/source-record';
import { createTestAwsClients, uniqueName } from '../../../helpers/moto';
import { interceptSend, namesOf } from './intercept-send';

const endpoint = inject('awsEndpoint');
const aws = createTestAwsClients(endpoint);
const streams: string[] = [];
const text = (record: SourceRecord): string => new TextDecoder().decode(record.data);

/** Hash keys that land in the lower and the upper half of the key space (shard 0 and 1 of two). */
const LOWER_HALF = '1';
const UPPER_HALF = String(2n ** 127n + 1n);

async function newStream(shards: number): Promise<string> {
  const name = uniqueName('sluice-stream');
  streams.push(name);
  await KinesisWriter.createStream(aws.kinesis, name, shards);
  return name;
}

async function put(streamName: string, hashKey: string, values: readonly string[]): Promise<void> {
  await aws.kinesis.send(
    new PutRecordsCommand({
      StreamName: streamName,
      Records: values.map((value) => ({ PartitionKey: `key-${value}`, ExplicitHashKey: hashKey, Data: new TextEncoder().encode(value) })),
    }),
  );
}

/** Reads a shard to its current end in steps of `step`, as a poller would. */
async function drain(source: KinesisSource, shardId: string, step: number): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for (;;) {
    const result = await source.read(shardId, records.at(-1)?.seq, step);
    records.push(...result.records);
    if (result.records.length === 0 || result.endOfShard) return records;
  }
}

afterAll(async () => {
  await Promise.all(streams.map((name) => aws.kinesis.send(new DeleteStreamCommand({ StreamName: name }))));
  aws.destroy();
});

describe('KinesisSource', () => {
  describe('read', () => {
    let streamName: string;
    const lower = Array.from({ length: 12 }, (_, i) => `lower-${i}`);
    const upper = Array.from({ length: 7 }, (_, i) => `upper-${i}`);

    beforeAll(async () => {
      streamName = await newStream(2);
      await put(streamName, LOWER_HALF, lower);
      await put(streamName, UPPER_HALF, upper);
    });

    it('reads each shard of a 2-shard stream in order, mapping Kinesis fields to SourceRecord', async () => {
      // Prepare
      const source = new KinesisSource({ client: aws.kinesis, streamName });
      const shards = await source.listShards();
      // Act
      const perShard = await Promise.all(shards.map((shard) => drain(source, shard.shardId, 5)));
      // Assess
      expect(perShard.map((records) => records.map(text))).toEqual([lower, upper]);
      const first = perShard[0]![0]!;
      const iterator = await aws.kinesis.send(
        new GetShardIteratorCommand({ StreamName: streamName, ShardId: shards[0]!.shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const raw = (await aws.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: 1 }))).Records![0]!;
      expect(first).toEqual({ seq: raw.SequenceNumber, arrivalMs: raw.ApproximateArrivalTimestamp!.getTime(), partitionKey: 'key-lower-0', data: raw.Data });
    });

    it('resumes after a sequence number with AFTER_SEQUENCE_NUMBER in a fresh instance', async () => {
      // Prepare
      const [shard] = await new KinesisSource({ client: aws.kinesis, streamName }).listShards();
      const firstFour = (await new KinesisSource({ client: aws.kinesis, streamName }).read(shard!.shardId, undefined, 4)).records;
      const client = createTestAwsClients(endpoint).kinesis;
      const sent = interceptSend(client);
      // Act
      const resumed = await new KinesisSource({ client, streamName }).read(shard!.shardId, firstFour[3]!.seq, 100);
      // Assess
      expect(resumed.records.map(text)).toEqual(lower.slice(4));
      expect(sent[0]?.input).toMatchObject({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: firstFour[3]!.seq });
      expect(resumed.endOfShard).toBe(false);
      client.destroy();
    });

    it('costs one GetRecords per read for a steady poller, and a new iterator for any other position', async () => {
      // Prepare
      const client = createTestAwsClients(endpoint).kinesis;
      const source = new KinesisSource({ client, streamName });
      const [shard] = await source.listShards();
      const sent = interceptSend(client);
      // Act
      const a = await source.read(shard!.shardId, undefined, 3);
      const b = await source.read(shard!.shardId, a.records.at(-1)!.seq, 3);
      const c = await source.read(shard!.shardId, b.records.at(-1)!.seq, 3);
      const again = await source.read(shard!.shardId, a.records.at(-1)!.seq, 3);
      // Assess
      expect([a, b, c, again].map((r) => r.records.map(text))).toEqual([lower.slice(0, 3), lower.slice(3, 6), lower.slice(6, 9), lower.slice(3, 6)]);
      expect(namesOf(sent)).toEqual([
        'GetShardIteratorCommand',
        'GetRecordsCommand',
        'GetRecordsCommand',
        'GetRecordsCommand',
        'GetShardIteratorCommand',
        'GetRecordsCommand',
      ]);
      client.destroy();
    });

    it('ends a shard when GetRecords returns no NextShardIterator, then answers without calls', async () => {
      // Prepare: AWS closes a shard this way; moto never does, so drop the iterator from its answer.
      const client = createTestAwsClients(endpoint).kinesis;
      const source = new KinesisSource({ client, streamName });
      const [, shard] = await source.listShards();
      const sent = interceptSend(client, async (command, next, original) => {
        const output = (await next(original)) as Record<string, unknown>;
        return command.name === 'GetRecordsCommand' ? { ...output, NextShardIterator: undefined } : output;
      });
      // Act
      const last = await source.read(shard!.shardId, undefined, 100);
      const after = await source.read(shard!.shardId, last.records.at(-1)!.seq, 100);
      // Assess
      expect(last.records.map(text)).toEqual(upper);
      expect([last.endOfShard, after.endOfShard, after.records]).toEqual([true, true, []]);
      expect(namesOf(sent)).toEqual(['GetShardIteratorCommand', 'GetRecordsCommand']);
      client.destroy();
    });

    it('reads nothing and calls nothing when allowed zero records', async () => {
      // Prepare
      const client = createTestAwsClients(endpoint).kinesis;
      const source = new KinesisSource({ client, streamName });
      const [shard] = await source.listShards();
      const sent = interceptSend(client);
      // Act
      const result = await source.read(shard!.shardId, undefined, 0);
      // Assess
      expect(result).toEqual({ records: [], endOfShard: false, endOfData: false });
      expect(sent).toEqual([]);
      client.destroy();
    });

    it('refreshes an expired iterator once and returns the same records', async () => {
      // Prepare: iterators expire after 5 minutes; moto never expires them, so answer as Kinesis would.
      const client = createTestAwsClients(endpoint).kinesis;
      const source = new KinesisSource({ client, streamName });
      const [shard] = await source.listShards();
      const first = await source.read(shard!.shardId, undefined, 2);
      let expire = true;
      const sent = interceptSend(client, async (command, next, original) => {
        if (command.name === 'GetRecordsCommand' && expire) {
          expire = false;
          throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
        }
        return next(original);
      });
      // Act
      const next = await source.read(shard!.shardId, first.records.at(-1)!.seq, 2);
      // Assess
      expect(next.records.map(text)).toEqual(lower.slice(2, 4));
      expect(namesOf(sent)).toEqual(['GetRecordsCommand', 'GetShardIteratorCommand', 'GetRecordsCommand']);
      client.destroy();
    });

    it('rejects a read throttle as a retryable ThrottledError and keeps the iterator for the retry', async () => {
      // Prepare
      const client = createTestAwsClients(endpoint).kinesis;
      const source = new KinesisSource({ client, streamName });
      const [, shard] = await source.listShards();
      const first = await source.read(shard!.shardId, undefined, 2);
      let throttle = true;
      const sent = interceptSend(client, async (command, next, original) => {
        if (throttle) {
          throttle = false;
          throw new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', $metadata: {} });
        }
        return next(original);
      });
      // Act
      const throttled = await source.read(shard!.shardId, first.records.at(-1)!.seq, 2).then(
        () => undefined,
        (e: unknown) => e,
      );
      const retried = await source.read(shard!.shardId, first.records.at(-1)!.seq, 2);
      // Assess
      expect(throttled).toBeInstanceOf(ThrottledError);
      expect((throttled as ThrottledError).retryable).toBe(true);
      expect(retried.records.map(text)).toEqual(upper.slice(2, 4));
      expect(namesOf(sent)).toEqual(['GetRecordsCommand', 'GetRecordsCommand']);
      client.destroy();
    });
  });

  describe('listShards', () => {
    it('lists a split parent before its children and reaches endOfShard on the parent', async () => {
      // Prepare: write before the split only; moto (unlike Kinesis) keeps routing later writes to the parent.
      const streamName = await newStream(1);
      const before = Array.from({ length: 6 }, (_, i) => `before-split-${i}`);
      await put(streamName, LOWER_HALF, before);
      const source = new KinesisSource({ client: aws.kinesis, streamName });
      const [parent] = await source.listShards();
      await aws.kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: parent!.shardId, NewStartingHashKey: String(2n ** 127n) }));
      await waitUntilStreamExists({ client: aws.kinesis, maxWaitTime: 60, minDelay: 1 }, { StreamName: streamName });
      // Act
      const shards = await source.listShards();
      const firstRead = await source.read(parent!.shardId, undefined, 4);
      const lastRead = await source.read(parent!.shardId, firstRead.records.at(-1)!.seq, 4);
      const afterEnd = await source.read(parent!.shardId, lastRead.records.at(-1)!.seq, 4);
      // Assess
      expect(shards).toEqual([
        { shardId: parent!.shardId, parentShardIds: [], closed: true },
        { shardId: expect.any(String), parentShardIds: [parent!.shardId] },
        { shardId: expect.any(String), parentShardIds: [parent!.shardId] },
      ]);
      expect([...firstRead.records, ...lastRead.records].map(text)).toEqual(before);
      expect([firstRead.endOfShard, lastRead.endOfShard, afterEnd.endOfShard]).toEqual([false, true, true]);
      expect(afterEnd.records).toEqual([]);
    });

    it('lists both parents of a merged shard before it', async () => {
      // Prepare
      const streamName = await newStream(2);
      const source = new KinesisSource({ client: aws.kinesis, streamName });
      const [left, right] = await source.listShards();
      // Act
      await aws.kinesis.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: left!.shardId, AdjacentShardToMerge: right!.shardId }));
      await waitUntilStreamExists({ client: aws.kinesis, maxWaitTime: 60, minDelay: 1 }, { StreamName: streamName });
      const shards = await source.listShards();
      // Assess
      expect(shards).toEqual([
        { shardId: left!.shardId, parentShardIds: [], closed: true },
        { shardId: right!.shardId, parentShardIds: [], closed: true },
        { shardId: expect.any(String), parentShardIds: [left!.shardId, right!.shardId] },
      ]);
    });
  });
});
