import { afterAll, describe, expect, inject, it } from 'vitest';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createAwsClients } from '../../../lib/adapters/aws/aws-clients';
import { aggregateIndependently } from '../../helpers/kpl-independent';
import { runCli } from '../../helpers/run-cli';
import { countWords, sampleLines } from '../../helpers/word-records';
import { uniqueName } from './aws-app';

const endpoint = inject('awsEndpoint');
const aws = createAwsClients({ endpoint, region: 'us-east-1' });
const encoder = new TextEncoder();
const streams: string[] = [];

afterAll(async () => {
  await Promise.all(streams.map((name) => aws.kinesis.send(new DeleteStreamCommand({ StreamName: name }))));
  aws.destroy();
});

describe('sluice dev with KPL-aggregated records', () => {
  it('counts each user record of aggregates made by aws-kinesis-agg exactly once, across rate deferrals inside an aggregate, and quarantines an aggregate whose digest does not match', async () => {
    // Prepare: an app and its stream; 400 lines in aggregates of 40 user records (aws-kinesis-agg,
    // an independent encoder), plain records between them, and one aggregate with a corrupt digest.
    const stream = uniqueName('kpl-words');
    streams.push(stream);
    const app = uniqueName('kpl');
    const target = ['--endpoint', endpoint, '--stream', stream, '--app', app];
    const created = await runCli(['dev', ...target, '--shards', '1', '--drain']);
    expect(created.code, created.stderr).toBe(0);
    const lines = sampleLines(400, 13);
    const plain = sampleLines(10, 17);
    const entries: Array<{ Data: Uint8Array; PartitionKey: string }> = [];
    for (let i = 0; i < 10; i++) {
      const group = lines.slice(i * 40, (i + 1) * 40).map((line, j) => ({ partitionKey: `user-${(i * 40 + j) % 13}`, data: encoder.encode(line) }));
      const aggregates = await aggregateIndependently(group);
      expect(aggregates.length).toBe(1);
      entries.push({ Data: aggregates[0]!.data, PartitionKey: aggregates[0]!.partitionKey });
      entries.push({ Data: encoder.encode(plain[i]!), PartitionKey: `plain-${i}` });
    }
    const [corrupt] = await aggregateIndependently(['never counted', 'nor this'].map((line) => ({ partitionKey: 'bad', data: encoder.encode(line) })));
    corrupt!.data[corrupt!.data.length - 1]! ^= 0xff;
    entries.splice(5, 0, { Data: corrupt!.data, PartitionKey: 'bad' });
    const put = await aws.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
    expect(put.FailedRecordCount).toBe(0);

    // Act: 100 user records per second per shard, so the rate defers from inside an aggregate, and
    // the mapping redelivers that aggregate after the partial failure the handler reports.
    const processed = await runCli([
      'dev',
      ...target,
      '--shards',
      '1',
      '--drain',
      '--batch-size',
      '8',
      '--batching-window',
      '0',
      '--max-rate',
      '100',
      '--no-controller',
    ]);
    const dumped = await runCli(['state', 'dump', ...target]);
    const status = await runCli(['status', ...target, '--json']);
    const listed = await runCli(['quarantine', 'list', '--endpoint', endpoint, '--app', app, '--json']);

    // Assess
    expect(processed.code, processed.stderr).toBe(0);
    expect(JSON.parse(dumped.stdout)).toEqual(countWords([...lines, ...plain]));
    const [shard] = status.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { totals?: { records: number }; committedSeq?: string });
    expect(shard!.totals?.records).toBe(410);
    const quarantined = listed.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { reason?: string; seq?: string });
    expect(quarantined).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^KPL aggregated record: MD5 digest does not match/) })]);
    // Batches of 100 user records: the first cut falls inside the third aggregate (40 + 1 + 40 + 1 +
    // 18), so the handler reported that aggregate, the mapping redelivered it, and the processor
    // dropped its 18 committed user records: every batch after it still adds up to 410.
    const batches = [...processed.stdout.matchAll(/^shardId-\S+\s+(\d+)\s+\S+\s+(\d+)/gm)].map((m) => Number(m[2]));
    expect(batches[0]).toBe(100);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(410);
    expect(listed.code, listed.stderr).toBe(0);
  }, 240_000);

  it('reads back what sluice push --aggregate packed, record by record', async () => {
    // Prepare
    const stream = uniqueName('kpl-push');
    streams.push(stream);
    const app = uniqueName('kpl-push');
    const target = ['--endpoint', endpoint, '--stream', stream, '--app', app];
    const lines = sampleLines(2_000, 29);
    const file = join(await mkdtemp(join(tmpdir(), 'sluice-kpl-')), 'words.txt');
    await writeFile(file, `${lines.join('\n')}\n`);
    // Act
    const created = await runCli(['dev', ...target, '--shards', '2', '--drain']);
    const pushed = await runCli(['push', ...target, '--file', file, '--aggregate', '--no-backpressure']);
    const kinesisRecords = await countKinesisRecords(stream);
    const processed = await runCli(['dev', ...target, '--shards', '2', '--drain', '--batching-window', '0', '--no-controller']);
    const dumped = await runCli(['state', 'dump', ...target]);
    // Assess
    expect(created.code, created.stderr).toBe(0);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`pushed 2,000 records to ${stream}`);
    expect(kinesisRecords).toBeLessThan(20);
    expect(processed.code, processed.stderr).toBe(0);
    expect(processed.stdout).toContain('stopped (drained): 2,000 records in 2 batches');
    expect(JSON.parse(dumped.stdout)).toEqual(countWords(lines));
  }, 240_000);
});

/** Kinesis records on the stream (aggregates count once). */
async function countKinesisRecords(streamName: string): Promise<number> {
  const { Shards } = await aws.kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  let n = 0;
  for (const shard of Shards ?? []) {
    const iterator = (
      await aws.kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    n += ((await aws.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }))).Records ?? []).length;
  }
  return n;
}
