import { afterAll, describe, expect, inject, it } from 'vitest';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { partitionHashKey } from '../../../lib/adapters/aws/kinesis-exchange';
import { SystemClock } from '../../../lib/adapters/local/system-clock';
import { createLocalAwsHandler, type LocalAwsProcessorOptions } from '../../../lib/compose/local-aws-processor';
import type { ProcessorHandler } from '../../../lib/compose/create-processor-handler';
import { stageApp } from '../../../lib/core/engine/compile-stages';
import type { Stream } from '../../../lib/core/pipeline/stream';
import type { ExchangeWriter } from '../../../lib/ports/exchange';
import type { Source } from '../../../lib/ports/source';
import { readCheckpoint, readCommittedSeq } from '../../../lib/runtime/protocol/checkpoint-record';
import { readMergedState } from '../../../lib/runtime/protocol/read-merged-state';
import { streamArn } from '../../../lib/runtime/local-esm/kinesis-event';
import { LocalEsm } from '../../../lib/runtime/local-esm/local-esm';
import wordCountGlobal from '../../../examples/word-count-global';
import { ReshardingStream } from '../fault-tolerance/resharding-stream';
import { countOf, timedCorpus } from '../../helpers/timed-shards-source';
import { closeStagedApps, stagedApp, type Printed } from '../../helpers/staged-moto-app';
import { expectTop10 } from '../../helpers/top-k-reference';

const endpoint = inject('awsEndpoint');
const encoder = new TextEncoder();

afterAll(closeStagedApps);

function mapping(stage: LocalAwsProcessorOptions, source: Source, handler: ProcessorHandler): LocalEsm {
  return new LocalEsm({
    source,
    handler,
    clock: new SystemClock(),
    eventSourceArn: streamArn(stage.app.region, stage.streamName),
    batchSize: 150,
    reportBatchItemFailures: true,
    pollIntervalMs: 20,
    retryDelayMs: 20,
    startAfter: async (shardId) => (await readCommittedSeq(stage.app.checkpoints, stageApp(stage.app.app, stage.stage ?? 0), shardId)) ?? undefined,
  });
}

async function drained(esm: LocalEsm): Promise<void> {
  expect((await esm.run({ untilDrained: true })).stoppedBy).toBe('drained');
}

describe('a split of the exchange stream (Lambda handlers on moto; the exchange a stream that reshards as Kinesis does)', () => {
  it("the child that takes a partition starts from its parent's totals and marks: every word counted exactly once, duplicates re-put after the split dropped", async () => {
    // Prepare: word-count-global on a 4-shard source on moto. Its first exchange is a stream that
    // routes by explicit hash key and reshards as Kinesis does (moto 5.2.1 keeps writing to a closed
    // parent); stage 0 puts there with each partition's hash key, as KinesisExchangeWriter does.
    const printed: Printed[] = [];
    const { app, staged, stages } = await stagedApp(endpoint, wordCountGlobal as Stream<unknown>, printed);
    const exchange = new ReshardingStream(4);
    const sent: Array<{ partition: number; data: Uint8Array }> = [];
    const writer: ExchangeWriter = {
      put: async (partition, records) => {
        for (const data of records) {
          exchange.putAt(BigInt(partitionHashKey(partition, 4)), `p${partition}`, data, Date.now());
          sent.push({ partition, data });
        }
      },
    };
    const sourceOf = (): Source => exchange;
    const h0 = createLocalAwsHandler(stages[0]!, undefined, { exchangeWriter: writer });
    const h1 = createLocalAwsHandler(stages[1]!, undefined, { sourceOf });
    const h2 = createLocalAwsHandler(stages[2]!);
    const source = new KinesisSource({ client: app.clients.kinesis, streamName: stages[0]!.streamName });
    const lines = timedCorpus(2_400, 4, 0, 1, 29).map((l) => l.line);
    const push = async (from: number, to: number): Promise<void> => {
      const put = await new KinesisWriter({ client: app.clients.kinesis, streamName: stages[0]!.streamName }).putAll(
        lines.slice(from, to).map((line, i) => ({ partitionKey: `line-${from + i}`, data: encoder.encode(line) })),
      );
      expect(put.failed).toBe(0);
    };

    // Act: half the input through both stages; split the shard that holds partition 1; the other
    // half; and a zombie re-put, after the split, of every chunk partition 1 had before it.
    await push(0, 1_200);
    await drained(mapping(stages[0]!, source, h0));
    await drained(mapping(stages[1]!, exchange, h1));
    const before = sent.filter((s) => s.partition === 1);
    const [left, right] = exchange.split('shardId-000000000001');
    await push(1_200, 2_400);
    await drained(mapping(stages[0]!, source, h0));
    for (const { data } of before) exchange.putAt(BigInt(partitionHashKey(1, 4)), 'p1', data, Date.now());
    exchange.finish();
    await drained(mapping(stages[1]!, exchange, h1));
    await drained(mapping(stages[2]!, new KinesisSource({ client: app.clients.kinesis, streamName: stages[2]!.streamName }), h2));

    // Assess: partition 1 went on in the child that holds its hash key, from its parent's state...
    const stage1 = stageApp(app.app, 1);
    const [heir, other] = BigInt(partitionHashKey(1, 4)) >= (2n ** 126n * 3n) / 2n ? [right, left] : [left, right];
    expect(exchange.counts()[heir]).toBeGreaterThan(before.length);
    expect(exchange.counts()[other]).toBe(0);
    expect((await readCheckpoint(app.checkpoints, stage1, heir))?.exchange).toMatchObject({ inheritedFrom: 'shardId-000000000001', partition: [1, 4] });
    // ...every word's total is exact (the parent's partial is superseded, not added), and the global top 10 is the stream's.
    const reference = countOf(lines.map((line) => ({ line })));
    const totals = await readMergedState(app.checkpoints, app.objects, stage1, staged.stages[1]!, 'totals');
    expect(new Map([...totals].map(([k, v]) => [k as string, v as number]))).toEqual(reference);
    const leaders = await readMergedState(app.checkpoints, app.objects, stageApp(app.app, 2), staged.stages[2]!, 'leaders');
    const top = [...leaders].map(([k, v]) => [k as string, v as number] as const).sort((a, b) => b[1] - a[1]);
    expectTop10(top.slice(0, 10), reference);
  }, 180_000);
});
