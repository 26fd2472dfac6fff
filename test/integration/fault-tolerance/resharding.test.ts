import { ListShardsCommand, MergeShardsCommand, SplitShardCommand, type Shard } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { SystemClock } from '../../../lib/adapters/local/system-clock';
import { streamArn } from '../../../lib/runtime/local-esm/kinesis-event';
import { LocalEsm, type InvocationReport } from '../../../lib/runtime/local-esm/local-esm';
import { countWords, sampleLines } from '../../helpers/word-records';
import { TestAwsApp, uniqueName } from '../aws/aws-app';
import { ReshardingStream } from './resharding-stream';

const app = new TestAwsApp(inject('awsEndpoint'));
const encoder = new TextEncoder();

beforeAll(async () => {
  await app.create();
});

afterAll(async () => {
  await app.destroy();
});

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('resharding (local ESM and Lambda handler, DynamoDB + S3 on moto)', () => {
  it('keeps exact counts across a split and a merge in mid-run, each parent drained before its children', async () => {
    // Prepare: two shards; the handler takes 20 ms per invocation, so a parent still holds records
    // to deliver when its children appear and receive their own.
    const stream = new ReshardingStream(2);
    const put = (lines: readonly string[], tag: string) => lines.forEach((line, i) => stream.put(`${tag}-${i}`, encoder.encode(line), Date.now()));
    const appName = uniqueName('wc-reshard');
    const handler = app.handler(wordCount, appName);
    const invocations: InvocationReport[] = [];
    const esm = new LocalEsm({
      source: stream,
      handler: async (event: KinesisStreamEvent) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return handler(event);
      },
      clock: new SystemClock(),
      eventSourceArn: streamArn('us-east-1', 'words'),
      batchSize: 10,
      reportBatchItemFailures: true,
      bisectBatchOnFunctionError: true,
      pollIntervalMs: 20,
      retryDelayMs: 20,
      shardSyncIntervalMs: 50,
      onInvoke: (report) => invocations.push(report),
    });
    const [one, two, three] = [sampleLines(300, 21), sampleLines(300, 22), sampleLines(300, 23)];
    const acknowledged = (n: number) => () => invocations.filter((i) => i.outcome.kind === 'success').reduce((sum, i) => sum + i.records, 0) >= n;
    const abort = new AbortController();

    // Act: split shard 0 while it is being read and write more, then merge the split's children and write more.
    put(one, 'one');
    const running = esm.run({ signal: abort.signal });
    let children: string[] = [];
    let merged = '';
    let parentDoneAtSplit = 0;
    try {
      await waitFor('the first invocations', () => invocations.length >= 2);
      parentDoneAtSplit = invocations.filter((i) => i.shardId === 'shardId-000000000000' && i.outcome.kind === 'success').reduce((n, i) => n + i.records, 0);
      children = stream.split('shardId-000000000000');
      put(two, 'two');
      await waitFor('the first 600 records', acknowledged(600));
      merged = stream.merge(children[0]!, children[1]!);
      put(three, 'three');
      await waitFor('all 900 records', acknowledged(900));
    } finally {
      abort.abort();
      await running;
    }

    // Assess: exact counts; every shard read, none before the last invocation of its parents.
    expect(await app.state(wordCount, appName)).toEqual(countWords([...one, ...two, ...three]));
    const counts = stream.counts();
    for (const shardId of [...children, merged]) expect(counts[shardId], shardId).toBeGreaterThan(0);
    const firstOf = (id: string) => invocations.findIndex((i) => i.shardId === id);
    const lastOf = (id: string) => invocations.map((i) => i.shardId).lastIndexOf(id);
    const parentsOf: Array<[string, string[]]> = [
      [children[0]!, ['shardId-000000000000']],
      [children[1]!, ['shardId-000000000000']],
      [merged, children],
    ];
    for (const [child, parents] of parentsOf) {
      for (const parent of parents) expect(firstOf(child), `${child} starts after ${parent} is drained`).toBeGreaterThan(lastOf(parent));
    }
    // The children had records waiting while the parent was still being read: the order was put to the test.
    expect(parentDoneAtSplit).toBeLessThan(counts['shardId-000000000000']!);
  });
});

describe('resharding (local ESM on Kinesis, DynamoDB + S3, all on moto)', () => {
  it('reads through a real SplitShard and MergeShards on moto without losing or repeating a record', async () => {
    // Prepare: every record written before the split — moto routes later writes to the closed parent.
    const streamName = await app.stream(2);
    const kinesis = app.aws.kinesis;
    const lines = sampleLines(400, 31);
    const written = await new KinesisWriter({ client: kinesis, streamName }).putAll(
      lines.map((line, i) => ({ partitionKey: `k-${i}`, data: encoder.encode(line) })),
    );
    expect(written.failed).toBe(0);
    const listShards = async (): Promise<Shard[]> => (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
    const appName = uniqueName('wc-moto-reshard');
    const invocations: InvocationReport[] = [];
    const esm = new LocalEsm({
      source: new KinesisSource({ client: kinesis, streamName }),
      handler: app.handler(wordCount, appName),
      clock: new SystemClock(),
      eventSourceArn: streamArn('us-east-1', streamName),
      batchSize: 10,
      reportBatchItemFailures: true,
      pollIntervalMs: 20,
      retryDelayMs: 20,
      shardSyncIntervalMs: 50,
      onInvoke: (report) => invocations.push(report),
    });
    // Act: split shard 0 after the first invocations, then merge its children, the ESM running until drained.
    const running = esm.run({ untilDrained: true });
    await waitFor('the first invocations', () => invocations.length >= 2);
    const [parent] = await listShards();
    const { StartingHashKey, EndingHashKey } = parent!.HashKeyRange!;
    await kinesis.send(
      new SplitShardCommand({
        StreamName: streamName,
        ShardToSplit: parent!.ShardId!,
        NewStartingHashKey: String((BigInt(StartingHashKey!) + BigInt(EndingHashKey!) + 1n) / 2n),
      }),
    );
    const [left, right] = (await listShards()).filter((s) => s.ParentShardId === parent!.ShardId);
    await kinesis.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: left!.ShardId!, AdjacentShardToMerge: right!.ShardId! }));
    const summary = await running;
    // Assess: drained through all five shards (the empty children and their merged child included).
    expect(summary.stoppedBy).toBe('drained');
    expect(Object.keys(summary.checkpoints).sort()).toEqual((await listShards()).map((s) => s.ShardId).sort());
    expect(await app.state(wordCount, appName)).toEqual(countWords(lines));
  });
});
