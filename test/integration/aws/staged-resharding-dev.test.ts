import { SplitShardCommand } from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ThrottledError } from '../../../lib/core/errors';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { SystemClock } from '../../../lib/adapters/local/system-clock';
import { createLocalAwsHandler, type LocalAwsProcessorOptions } from '../../../lib/compose/local-aws-processor';
import type { ProcessorHandler } from '../../../lib/compose/create-processor-handler';
import { stageApp } from '../../../lib/core/engine/compile-stages';
import { idleTickEvent } from '../../../lib/core/idle-tick-event';
import type { Stream } from '../../../lib/core/pipeline/stream';
import type { Source } from '../../../lib/ports/source';
import { readCheckpoint, readCommittedSeq } from '../../../lib/runtime/protocol/checkpoint-record';
import { streamArn } from '../../../lib/runtime/local-esm/kinesis-event';
import { LocalEsm } from '../../../lib/runtime/local-esm/local-esm';
import topKGlobal from '../../../examples/top-k-global';
import { ReshardingStream } from '../fault-tolerance/resharding-stream';
import { countOf, timedCorpus } from '../../helpers/timed-shards-source';
import { closeStagedApps, printedWindows, readAll, stagedApp, type Printed } from '../../helpers/staged-moto-app';
import { expectEveryWindowTop10, expectTop10 } from '../../helpers/top-k-reference';

const endpoint = inject('awsEndpoint');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

afterAll(closeStagedApps);

/** A stage's mapping over `source` with the handler (container) `handler`, resuming after the stage's committed offsets. */
function mapping(stage: LocalAwsProcessorOptions, source: Source, handler: ProcessorHandler): LocalEsm {
  const app = stage.app;
  return new LocalEsm({
    source,
    handler,
    clock: new SystemClock(),
    eventSourceArn: streamArn(app.region, stage.streamName),
    batchSize: 150,
    reportBatchItemFailures: true,
    pollIntervalMs: 20,
    retryDelayMs: 20,
    startAfter: async (shardId) => (await readCommittedSeq(app.checkpoints, stageApp(app.app, stage.stage ?? 0), shardId)) ?? undefined,
  });
}

async function drained(esm: LocalEsm): Promise<void> {
  expect((await esm.run({ untilDrained: true })).stoppedBy).toBe('drained');
}

describe('sluice dev of a pipeline with exchanges across a split of the source shard (Lambda handlers, exchanges on moto)', () => {
  it("a closed shard's end marker names its children: the windows after the exchange wait for them, then equal a reference over the whole input", async () => {
    // Prepare: top-k-global's handlers against moto (checkpoints, WAL, exchange streams; the
    // receiving stage lists its origins from the moto source stream once, before the split, as a
    // warm Lambda container does). The source records come from a stream that reshards as Kinesis
    // does (moto routes writes after a split to the closed parent): 1,200 lines, a split of shard 0,
    // 1,200 more, some on its children; arrival times span 12 s, in the past (17 windows: the example prints at most 20 per batch).
    const printed: Printed[] = [];
    const { app, stages } = await stagedApp(endpoint, topKGlobal as Stream<unknown>, printed);
    const kinesis = new ReshardingStream(4);
    const baseMs = Date.now() - 120_000;
    const lines = timedCorpus(2_400, 4, 0, 1, 17).map((l, i) => ({ line: l.line, arrivalMs: baseMs + Math.floor((i * 12_000) / 2_400) }));
    const onShard = new Map<string, string[]>();
    const put = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        const shard = kinesis.put(`line-${i}`, encoder.encode(lines[i]!.line), lines[i]!.arrivalMs);
        onShard.set(shard, [...(onShard.get(shard) ?? []), lines[i]!.line]);
      }
    };
    put(0, 1_200);
    const [c1, c2] = kinesis.split('shardId-000000000000');
    put(1_200, 2_400);
    kinesis.finish();
    expect(onShard.get(c1)!.length).toBeGreaterThan(0);
    expect(onShard.get(c2)!.length).toBeGreaterThan(0);
    const children = new Set([c1, c2]);
    const firstChildArrival = Math.min(...lines.slice(1_200).map((l) => l.arrivalMs));
    const lastArrival = lines.at(-1)!.arrivalMs;
    const idleAtMs = lastArrival + 6_000;
    const sourceOf = (): Source => kinesis;
    const handlers = stages.map((s) => createLocalAwsHandler(s, undefined, { sourceOf }));
    const ticks = createLocalAwsHandler(stages[0]!, undefined, { sourceOf });
    const exchange = (s: number): Source => new KinesisSource({ client: app.clients.kinesis, streamName: stages[s]!.streamName });
    const withoutChildren: Source = {
      listShards: async () => (await kinesis.listShards()).filter((s) => !children.has(s.shardId)),
      read: (shardId, afterSeq, max) => kinesis.read(shardId, afterSeq, max),
    };

    // Act 1: stage 0 reads the parent to its end and the other shards, but not yet the children (its
    // mapping lags on them); the controller's idle ticks reach every shard with a checkpoint, at a
    // time past the last window; the later stages read what was sent.
    await drained(mapping(stages[0]!, withoutChildren, handlers[0]!));
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003'])
      await ticks(idleTickEvent(shardId, idleAtMs));
    await drained(mapping(stages[1]!, exchange(1), handlers[1]!));
    await drained(mapping(stages[2]!, exchange(2), handlers[2]!));

    // Assess 1: no window holding the children's records closed without them (a plain tick of the
    // closed parent would have moved its progress past them, and the receiver, which never listed
    // the children, would have closed every window); what did close is final and exact.
    const early = printedWindows(printed, stageApp(app.app, 2));
    expect([...early.keys()].filter((end) => end > firstChildArrival)).toEqual([]);
    for (const w of early.values()) expectTop10(w.top, countOf(lines.filter((r) => r.arrivalMs >= w.startMs && r.arrivalMs < w.endMs)));

    // Act 2: the mapping reaches the children; their ticks follow; the later stages read on.
    await drained(mapping(stages[0]!, kinesis, handlers[0]!));
    for (const shardId of [c1, c2]) await ticks(idleTickEvent(shardId, idleAtMs));
    await drained(mapping(stages[1]!, exchange(1), handlers[1]!));
    await drained(mapping(stages[2]!, exchange(2), handlers[2]!));

    // Assess 2: every window holding data printed once, each its reference's top 10.
    expectEveryWindowTop10(printedWindows(printed, stageApp(app.app, 2)).values(), lines);
  }, 180_000);

  it('on a real SplitShard (moto): the closed parent ends with its children named, the empty children tick, and every window closes exact', async () => {
    // Prepare: every line written before the split (moto routes later writes to the closed parent), so the children stay empty.
    const printed: Printed[] = [];
    const { app, stages } = await stagedApp(endpoint, topKGlobal as Stream<unknown>, printed);
    const lines = timedCorpus(1_200, 4, 0, 1, 23).map((l) => l.line);
    const put = await new KinesisWriter({ client: app.clients.kinesis, streamName: stages[0]!.streamName }).putAll(
      lines.map((line, i) => ({ partitionKey: `line-${i}`, data: encoder.encode(line) })),
    );
    expect(put.failed).toBe(0);
    const handlers = stages.map((s) => createLocalAwsHandler(s));
    const ticks = createLocalAwsHandler(stages[0]!);
    const source = (s: number): KinesisSource => new KinesisSource({ client: app.clients.kinesis, streamName: stages[s]!.streamName });
    await drained(mapping(stages[1]!, source(1), handlers[1]!)); // the receiving container lists its origins before the split
    const [parent] = await source(0).listShards();
    await app.clients.kinesis.send(
      new SplitShardCommand({ StreamName: stages[0]!.streamName, ShardToSplit: parent!.shardId, NewStartingHashKey: String(2n ** 125n) }),
    );
    const children = (await source(0).listShards()).filter((s) => s.parentShardIds.includes(parent!.shardId)).map((s) => s.shardId);
    expect(children).toHaveLength(2);
    // Read after the split: moto re-puts a split shard's records (new sequence numbers and arrival times).
    const input = [...(await readAll(app, stages[0]!.streamName)).values()].flat();
    expect(input).toHaveLength(lines.length);

    // Act: stage 0 drains through the split; the controller's ticks reach the shards with a checkpoint
    // (the parent's ends it, naming its children, which tick as empty); the later stages read on.
    await drained(mapping(stages[0]!, source(0), handlers[0]!));
    const lastArrival = Math.max(...input.map((r) => r.arrivalMs));
    const idleAtMs = lastArrival + 6_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, idleAtMs - Date.now())));
    for (const { shardId } of await source(0).listShards()) if (!children.includes(shardId)) await ticks(idleTickEvent(shardId, idleAtMs));
    await drained(mapping(stages[1]!, source(1), handlers[1]!));
    await drained(mapping(stages[2]!, source(2), handlers[2]!));

    // Assess: the parent ended, its children sent progress without a record, and every window closed exact.
    const stage0 = stageApp(app.app, 0);
    expect((await readCheckpoint(app.checkpoints, stage0, parent!.shardId))?.exchange?.ended).toBe(true);
    for (const child of children)
      expect(await readCheckpoint(app.checkpoints, stage0, child)).toMatchObject({ committedSeq: null, exchange: { sentWatermarkMs: idleAtMs } });
    const all = input.map((r) => ({ arrivalMs: r.arrivalMs, line: decoder.decode(r.data) }));
    expectEveryWindowTop10(printedWindows(printed, stageApp(app.app, 2)).values(), all);
  }, 180_000);

  it('a source shard no record went to ticks from its start when another shard ticks, and stops holding the windows back', async () => {
    // Prepare: 1,200 lines on shards 0 to 2 of 4 (explicit hash keys); shard 3 gets nothing, and the
    // receiving container lists all four as origins.
    const printed: Printed[] = [];
    const { app, stages } = await stagedApp(endpoint, topKGlobal as Stream<unknown>, printed);
    const lines = timedCorpus(1_200, 4, 0, 1, 31).map((l) => l.line);
    const quarter = 2n ** 126n;
    const put = await new KinesisWriter({ client: app.clients.kinesis, streamName: stages[0]!.streamName }).putAll(
      lines.map((line, i) => ({ partitionKey: `line-${i}`, explicitHashKey: String(BigInt(i % 3) * quarter + 7n), data: encoder.encode(line) })),
    );
    expect(put.failed).toBe(0);
    const handlers = stages.map((s) => createLocalAwsHandler(s));
    const source = (s: number): KinesisSource => new KinesisSource({ client: app.clients.kinesis, streamName: stages[s]!.streamName });
    const input = [...(await readAll(app, stages[0]!.streamName)).values()];
    expect(input.map((records) => records.length > 0)).toEqual([true, true, true, false]);

    // Act: stage 0 reads; the controller ticks the shards with a checkpoint (it lists shards from the
    // checkpoints, so never shard 3); the later stages read.
    await drained(mapping(stages[0]!, source(0), handlers[0]!));
    const all = input.flat().map((r) => ({ arrivalMs: r.arrivalMs, line: decoder.decode(r.data) }));
    const lastArrival = Math.max(...all.map((r) => r.arrivalMs));
    const idleAtMs = lastArrival + 6_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, idleAtMs - Date.now())));
    const ticks = createLocalAwsHandler(stages[0]!);
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']) await ticks(idleTickEvent(shardId, idleAtMs));
    await drained(mapping(stages[1]!, source(1), handlers[1]!));
    await drained(mapping(stages[2]!, source(2), handlers[2]!));

    // Assess: shard 3 sent progress with no offset, and every window closed exact.
    expect(await readCheckpoint(app.checkpoints, stageApp(app.app, 0), 'shardId-000000000003')).toMatchObject({
      committedSeq: null,
      exchange: { sentWatermarkMs: idleAtMs },
    });
    expectEveryWindowTop10(printedWindows(printed, stageApp(app.app, 2)).values(), all);
  }, 180_000);

  it('a tick whose ListShards is throttled fails whole, commits and sets aside nothing, and the next tick closes the windows', async () => {
    // Prepare: top-k-global read by stage 0; the stream's ListShards refused once (LimitExceededException, past 1,000/s).
    const printed: Printed[] = [];
    const { app, stages } = await stagedApp(endpoint, topKGlobal as Stream<unknown>, printed);
    const lines = timedCorpus(400, 4, 0, 1, 37).map((l) => l.line);
    expect(
      (
        await new KinesisWriter({ client: app.clients.kinesis, streamName: stages[0]!.streamName }).putAll(
          lines.map((line, i) => ({ partitionKey: `line-${i}`, data: encoder.encode(line) })),
        )
      ).failed,
    ).toBe(0);
    const source = (s: number): KinesisSource => new KinesisSource({ client: app.clients.kinesis, streamName: stages[s]!.streamName });
    await drained(mapping(stages[0]!, source(0), createLocalAwsHandler(stages[0]!)));
    let throttle = true;
    const sourceOf = (): Source => {
      const kinesis = source(0);
      return {
        listShards: async () => {
          if (!throttle) return kinesis.listShards();
          throttle = false;
          throw new ThrottledError('Kinesis LimitExceededException: Rate exceeded for stream');
        },
        read: (shardId, afterSeq, max) => kinesis.read(shardId, afterSeq, max),
      };
    };
    const ticks = createLocalAwsHandler(stages[0]!, undefined, { sourceOf });
    const input = [...(await readAll(app, stages[0]!.streamName)).values()].flat();
    const idleAtMs = Math.max(...input.map((r) => r.arrivalMs)) + 6_000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, idleAtMs - Date.now())));
    const before = await readCheckpoint(app.checkpoints, stageApp(app.app, 0), 'shardId-000000000000');

    // Act
    const failed = await ticks(idleTickEvent('shardId-000000000000', idleAtMs)).catch((error: unknown) => error);
    const after = await readCheckpoint(app.checkpoints, stageApp(app.app, 0), 'shardId-000000000000');
    for (const shardId of ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002', 'shardId-000000000003'])
      await ticks(idleTickEvent(shardId, idleAtMs));
    await drained(mapping(stages[1]!, source(1), createLocalAwsHandler(stages[1]!)));
    await drained(mapping(stages[2]!, source(2), createLocalAwsHandler(stages[2]!)));

    // Assess: the throttled tick changed nothing and set nothing aside; the retried ones closed every window.
    expect(failed).toBeInstanceOf(ThrottledError);
    expect(after).toEqual(before);
    expect(await app.objects.list(`quarantine/${app.app}`)).toEqual([]);
    expectEveryWindowTop10(
      printedWindows(printed, stageApp(app.app, 2)).values(),
      input.map((r) => ({ arrivalMs: r.arrivalMs, line: decoder.decode(r.data) })),
    );
  }, 180_000);
});
