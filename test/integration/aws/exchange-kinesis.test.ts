import { DeleteStreamCommand, GetRecordsCommand, GetShardIteratorCommand, MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KinesisExchangeWriter, partitionHashKey } from '../../../lib/adapters/aws/kinesis-exchange';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compileStages, stageApp } from '../../../lib/core/engine/compile-stages';
import { partitionOf } from '../../../lib/core/exchange/exchange-chunks';
import type { Stream } from '../../../lib/core/pipeline/stream';
import { readMergedState } from '../../../lib/runtime/protocol/read-merged-state';
import { StagedLocalDriver } from '../../../lib/runtime/local-driver/staged-local-driver';
import wordCountGlobal from '../../../examples/word-count-global';
import { FakeClock } from '../../helpers/fake-clock';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';
import { countOf, TimedShardsSource, timedCorpus } from '../../helpers/timed-shards-source';

const aws = createTestAwsClients(inject('awsEndpoint'));
const streams: string[] = [];

afterAll(async () => {
  await Promise.all(streams.map((name) => aws.kinesis.send(new DeleteStreamCommand({ StreamName: name }))));
  aws.destroy();
});

async function exchangeStream(shards: number): Promise<string> {
  const name = uniqueName('sluice-exchange');
  await KinesisWriter.createStream(aws.kinesis, name, shards);
  streams.push(name);
  return name;
}

describe('the exchange as a Kinesis stream (moto)', () => {
  it('puts partition p on the p-th shard in hash-key order, whatever the partition key, and refuses a stream with fewer shards than partitions', async () => {
    const name = await exchangeStream(4);
    const writer = new KinesisExchangeWriter({ client: aws.kinesis, streamName: name, partitions: 4 });
    const encoder = new TextEncoder();
    for (let p = 0; p < 4; p++) await writer.put(p, [encoder.encode(`p${p}-a`), encoder.encode(`p${p}-b`)]);
    const shards = await KinesisExchangeWriter.partitionShards(aws.kinesis, name);
    for (let p = 0; p < 4; p++) {
      const { ShardIterator } = await aws.kinesis.send(
        new GetShardIteratorCommand({ StreamName: name, ShardId: shards[p]!.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const { Records } = await aws.kinesis.send(new GetRecordsCommand({ ShardIterator }));
      expect((Records ?? []).map((r) => new TextDecoder().decode(r.Data))).toEqual([`p${p}-a`, `p${p}-b`]);
    }
    const fewer = await exchangeStream(3);
    const wrong = new KinesisExchangeWriter({ client: aws.kinesis, streamName: fewer, partitions: 4 });
    await expect(wrong.put(0, [encoder.encode('x')])).rejects.toThrow(
      /partitions 1 and 2 of 4 are both on shard shardId-000000000001 .*each partition needs a shard of its own/,
    );
  });

  it('a split exchange stream keeps each partition on one open shard; a merge that puts two on one shard is refused in one line', async () => {
    const name = await exchangeStream(4);
    const encoder = new TextEncoder();
    const [, second, third, fourth] = await KinesisExchangeWriter.partitionShards(aws.kinesis, name);
    // A split of partition 1's shard at its middle: partition 1's hash key is the upper child's first.
    await aws.kinesis.send(new SplitShardCommand({ StreamName: name, ShardToSplit: second!.ShardId!, NewStartingHashKey: partitionHashKey(1, 4) }));
    expect(await KinesisExchangeWriter.partitionShards(aws.kinesis, name)).toHaveLength(5);
    await new KinesisExchangeWriter({ client: aws.kinesis, streamName: name, partitions: 4 }).put(1, [encoder.encode('after the split')]);
    await aws.kinesis.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: third!.ShardId!, AdjacentShardToMerge: fourth!.ShardId! }));
    const merged = new KinesisExchangeWriter({ client: aws.kinesis, streamName: name, partitions: 4 });
    await expect(merged.put(0, [encoder.encode('x')])).rejects.toThrow(/^exchange stream: .*: partitions 2 and 3 of 4 are both on shard shardId-\d+ \(merged/);
  });

  it('word-count-global over two Kinesis exchanges: every word counted once, on the one partition that owns it, and the stream top 10', async () => {
    const [keyed, global] = await Promise.all([exchangeStream(4), exchangeStream(1)]);
    const names = [keyed, global];
    const clock = new FakeClock({ startMs: Date.UTC(2026, 0, 1), autoAdvance: true });
    const lines = timedCorpus(600, 4, clock.nowMs(), 3_000, 5);
    const staged = compileStages(wordCountGlobal as Stream<unknown>);
    const checkpoints = new MemoryCheckpointStore();
    const objects = new MemoryObjectStore();
    const driver = new StagedLocalDriver({
      app: staged.name,
      staged,
      source: new TimedShardsSource(lines, 4, clock),
      checkpoints,
      objects,
      clock,
      batchIntervalMs: 500,
      durationMs: 8_000,
      exchange: async (stage, _app, partitions) => ({
        writer: new KinesisExchangeWriter({ client: aws.kinesis, streamName: names[stage]!, partitions }),
        source: new KinesisSource({ client: aws.kinesis, streamName: names[stage]! }),
      }),
    });
    await driver.run();
    const reference = countOf(lines);
    // No merge function: a word on two partitions would be refused.
    const totals = await readMergedState(checkpoints, objects, stageApp(staged.name, 1), staged.stages[1]!, 'totals');
    expect(new Map([...totals].map(([k, v]) => [k as string, v as number]))).toEqual(reference);
    // Each word's total is on the shard its hash names.
    const shards = await KinesisExchangeWriter.partitionShards(aws.kinesis, keyed);
    const reader = await import('../../../lib/runtime/protocol/shard-reader');
    const shardReader = new reader.ShardReader(stageApp(staged.name, 1), staged.stages[1]!, checkpoints, objects);
    for (let p = 0; p < 4; p++) {
      const snapshot = await shardReader.read(shards[p]!.ShardId!);
      const words = [...(await shardReader.states(snapshot)).get('totals')!.entries()].map(([k]) => k);
      for (const w of words) expect(partitionOf(w, 4)).toBe(p);
    }
    const leaders = await readMergedState(checkpoints, objects, stageApp(staged.name, 2), staged.stages[2]!, 'leaders');
    const top = [...leaders]
      .map(([k, v]) => [k as string, v as number] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10);
    expect(top.map(([, n]) => n)).toEqual([...reference.values()].sort((a, b) => b - a).slice(0, 10));
  }, 120_000);
});
