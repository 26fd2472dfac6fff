import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KinesisExchangeWriter } from '../../../lib/adapters/aws/kinesis-exchange';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { SystemClock } from '../../../lib/adapters/local/system-clock';
import type { LocalAwsApp } from '../../../lib/compose/local-aws-app';
import { createLocalAwsHandler, type LocalAwsProcessorOptions } from '../../../lib/compose/local-aws-processor';
import { createProcessorHandler } from '../../../lib/compose/create-processor-handler';
import type { CheckpointStore } from '../../../lib/ports/checkpoint-store';
import { streamArn } from '../../../lib/runtime/local-esm/kinesis-event';
import { LocalEsm } from '../../../lib/runtime/local-esm/local-esm';
import { recordingMetrics, silentLogger } from '../../unit/functions/fixtures';
import { stageApp } from '../../../lib/core/engine/compile-stages';
import { partitionOf } from '../../../lib/core/exchange/exchange-chunks';
import { idleTickEvent } from '../../../lib/core/idle-tick-event';
import type { Stream } from '../../../lib/core/pipeline/stream';
import { readMergedState } from '../../../lib/runtime/protocol/read-merged-state';
import { ShardReader } from '../../../lib/runtime/protocol/shard-reader';
import topKGlobal from '../../../examples/top-k-global';
import wordCountGlobal from '../../../examples/word-count-global';
import { countOf, timedCorpus } from '../../helpers/timed-shards-source';
import { closeStagedApps, drain, printedWindows, readAll, stagedApp, type Printed } from '../../helpers/staged-moto-app';
import { expectTop10, windowEnds } from '../../helpers/top-k-reference';

const endpoint = inject('awsEndpoint');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

afterAll(closeStagedApps);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A stage's mapping whose every delivery goes to three containers in turn: one that crashes at its
 * commit (after its sends: the chunks are in the exchange), one that re-runs the batch from the WAL
 * (re-sending identical chunks) and commits, and the same batch delivered again (a redelivery).
 */
function duplicatingEsm(app: LocalAwsApp, options: LocalAwsProcessorOptions): LocalEsm {
  const crashing: CheckpointStore = {
    get: (pk, sk) => app.checkpoints.get(pk, sk),
    query: (pk, prefix) => app.checkpoints.query(pk, prefix),
    transact: async () => Promise.reject(new Error('injected crash before the commit')),
  };
  const env = {
    APP_NAME: app.app,
    TABLE_NAME: app.tableName,
    BUCKET_NAME: app.bucketName,
    SLUICE_STAGE: String(options.stage),
    ...(options.exchangeStream === undefined ? {} : { SLUICE_EXCHANGE_STREAM: options.exchangeStream }),
    ...(options.exchangeOriginsStream === undefined ? {} : { SLUICE_EXCHANGE_ORIGINS_STREAM: options.exchangeOriginsStream }),
  };
  const container = (checkpoints: CheckpointStore) =>
    createProcessorHandler(options.pipeline, {
      env,
      clients: app.clients,
      checkpoints,
      objects: app.objects,
      logger: silentLogger(),
      metrics: recordingMetrics(),
    });
  const crashy = container(crashing);
  const healthy = container(app.checkpoints);
  const again = container(app.checkpoints);
  const handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    await expect(crashy(event)).rejects.toThrow('injected crash before the commit');
    await healthy(event);
    return again(event);
  };
  return new LocalEsm({
    source: new KinesisSource({ client: app.clients.kinesis, streamName: options.streamName }),
    handler,
    clock: new SystemClock(),
    eventSourceArn: streamArn(app.region, options.streamName),
    batchSize: 150,
    reportBatchItemFailures: true,
    pollIntervalMs: 20,
    retryDelayMs: 20,
  });
}

describe('sluice dev of a pipeline with exchanges: every stage behind the local ESM on moto, 4 source shards', () => {
  it('top-k-global prints one top 10 per 5 s window, each equal to a reference over the whole input', async () => {
    // Prepare: ~2,400 lines pushed in 8 waves a second apart, so that their arrival times span
    // several windows; partition keys spread them over the 4 shards.
    const printed: Printed[] = [];
    const { app, stages } = await stagedApp(endpoint, topKGlobal as Stream<unknown>, printed);
    const lines = timedCorpus(2_400, 4, 0, 1, 13).map((l) => l.line);
    const writer = new KinesisWriter({ client: app.clients.kinesis, streamName: stages[0]!.streamName });
    for (let wave = 0; wave < 8; wave++) {
      const part = lines.slice(wave * 300, (wave + 1) * 300);
      const put = await writer.putAll(part.map((line, i) => ({ partitionKey: `line-${wave}-${i}`, data: encoder.encode(line) })));
      expect(put.failed).toBe(0);
      await sleep(1_000);
    }
    const input = [...(await readAll(app, stages[0]!.streamName)).values()];
    expect(input.map((records) => records.length > 0)).toEqual([true, true, true, true]);
    const all = input.flat().map((r) => ({ arrivalMs: r.arrivalMs, line: decoder.decode(r.data) }));
    expect(all.length).toBe(2_400);
    const lastArrival = Math.max(...all.map((r) => r.arrivalMs));

    // Act: stage 0 reads the source and sends; once the source is quiet, the controller's idle tick
    // of each source shard (here asked for directly, at a time past the last window's end) carries
    // time through the exchanges; then stage 1 and stage 2 read what was sent to them.
    await drain(stages[0]!);
    const idleAtMs = lastArrival + 6_000;
    await sleep(Math.max(0, idleAtMs - Date.now()));
    const ticks = createLocalAwsHandler(stages[0]!);
    for (const shardId of (await readAll(app, stages[0]!.streamName)).keys()) await ticks(idleTickEvent(shardId, idleAtMs));
    await drain(stages[1]!);
    await drain(stages[2]!);

    // Assess: every 1 s-aligned 5 s window holding data, its top 10 the reference's.
    const windows = printedWindows(printed, stageApp(app.app, 2));
    const firstEnd = Math.floor(Math.min(...all.map((r) => r.arrivalMs)) / 1_000) * 1_000 + 1_000;
    const expectedEnds = windowEnds(firstEnd, lastArrival);
    // Windows holding data, each printed; a window after the data left may print too, empty, as it would on one shard.
    const ends = [...windows.keys()].sort((a, b) => a - b);
    expect(ends.filter((end) => windows.get(end)!.top.length > 0)).toEqual(expectedEnds);
    expect(ends.filter((end) => end > idleAtMs)).toEqual([]);
    for (const w of windows.values()) {
      expect(w.startMs).toBe(w.endMs - 5_000);
      expectTop10(w.top, countOf(all.filter((r) => r.arrivalMs >= w.startMs && r.arrivalMs < w.endMs)));
    }
    // A per-shard top 10 would not be the answer: the top word's count is more than any one shard holds of it.
    const [topWord, topCount] = windows.get(expectedEnds[Math.floor(expectedEnds.length / 2)]!)!.top[0]!;
    const middle = windows.get(expectedEnds[Math.floor(expectedEnds.length / 2)]!)!;
    for (const records of input) {
      const own = countOf(records.filter((r) => r.arrivalMs >= middle.startMs && r.arrivalMs < middle.endMs).map((r) => ({ line: decoder.decode(r.data) })));
      expect(own.get(topWord) ?? 0).toBeLessThan(topCount);
    }
  }, 180_000);

  it('word-count-global counts every word exactly once when each batch of each stage crashes before its commit and is delivered again', async () => {
    // Prepare
    const printed: Printed[] = [];
    const { app, staged, stages } = await stagedApp(endpoint, wordCountGlobal as Stream<unknown>, printed);
    const lines = timedCorpus(1_200, 4, 0, 1, 5).map((l) => l.line);
    const put = await new KinesisWriter({ client: app.clients.kinesis, streamName: stages[0]!.streamName }).putAll(
      lines.map((line, i) => ({ partitionKey: `line-${i}`, data: encoder.encode(line) })),
    );
    expect(put.failed).toBe(0);

    // Act: stage by stage, every delivery crashed, re-run and redelivered.
    for (const stage of stages) expect((await duplicatingEsm(app, stage).run({ untilDrained: true })).stoppedBy).toBe('drained');

    // Assess: the exchanges hold every chunk more than once...
    for (const exchange of stages.slice(1).map((s) => s.streamName)) {
      const chunks = [...(await readAll(app, exchange)).values()].flat().map((r) => JSON.parse(decoder.decode(r.data)) as { o: string; b: number; i: number });
      const distinct = new Set(chunks.map((c) => `${c.o}/${c.b}/${c.i}`));
      expect(chunks.length).toBeGreaterThanOrEqual(2 * distinct.size);
    }
    // ...and each word's total is exact, on the one partition that owns it (no merge function: a
    // word on two partitions would be refused), and the global stage holds the stream's top 10.
    const reference = countOf(lines.map((line) => ({ line })));
    const totals = await readMergedState(app.checkpoints, app.objects, stageApp(app.app, 1), staged.stages[1]!, 'totals');
    expect(new Map([...totals].map(([k, v]) => [k as string, v as number]))).toEqual(reference);
    const shards = await KinesisExchangeWriter.partitionShards(app.clients.kinesis, stages[1]!.streamName);
    const reader = new ShardReader(stageApp(app.app, 1), staged.stages[1]!, app.checkpoints, app.objects);
    for (let p = 0; p < 4; p++) {
      const words = [...(await reader.states(await reader.read(shards[p]!.ShardId!))).get('totals')!.entries()].map(([k]) => k);
      expect(words.length).toBeGreaterThan(0);
      for (const w of words) expect(partitionOf(w, 4)).toBe(p);
    }
    const leaders = await readMergedState(app.checkpoints, app.objects, stageApp(app.app, 2), staged.stages[2]!, 'leaders');
    const top = [...leaders].map(([k, v]) => [k as string, v as number] as const).sort((a, b) => b[1] - a[1]);
    expectTop10(top.slice(0, 10), reference);
  }, 180_000);
});
