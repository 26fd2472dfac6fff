import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { expect } from 'vitest';
import { KinesisSource } from '../../lib/adapters/aws/kinesis-source';
import { ensureExchangeStreams, ensureLocalAwsResources, openLocalAwsApp, type LocalAwsApp } from '../../lib/compose/local-aws-app';
import { createLocalAwsProcessor, localAwsStageOptions, type LocalAwsProcessorOptions } from '../../lib/compose/local-aws-processor';
import { compileStages, type StagedPipeline } from '../../lib/core/engine/compile-stages';
import type { Stream } from '../../lib/core/pipeline/stream';
import type { SourceRecord } from '../../lib/core/source-record';
import { uniqueName } from './moto';

/** What a stage printed: its app and the items of one print. */
export interface Printed {
  readonly app: string;
  readonly items: readonly unknown[];
}

/** Apps and streams made by {@link stagedApp}, deleted by {@link closeStagedApps}. */
const opened: Array<{ app: LocalAwsApp; streams: string[] }> = [];

/**
 * An app of `stream` on the moto at `endpoint`, with its source stream (4 shards), table, bucket and
 * exchange streams, as `sluice dev` makes them; every stage's prints go to `printed`.
 */
export async function stagedApp(
  endpoint: string,
  stream: Stream<unknown>,
  printed: Printed[],
): Promise<{ app: LocalAwsApp; staged: StagedPipeline; stages: LocalAwsProcessorOptions[] }> {
  const app = openLocalAwsApp({ app: uniqueName('staged'), endpoint, region: 'us-east-1', requireEndpoint: true });
  const source = `sluice-${app.app}-words`;
  const staged = compileStages(stream);
  const stages = localAwsStageOptions({
    app,
    pipeline: staged,
    streamName: source,
    batchSize: 200,
    maximumBatchingWindowInSeconds: 0,
    pollIntervalMs: 20,
    output: { print: (info, _id, items) => void printed.push({ app: info.app, items: [...items] }) },
  });
  opened.push({ app, streams: [source, ...stages.slice(1).map((s) => s.streamName)] });
  await ensureLocalAwsResources(app, { name: source, shards: 4 });
  await ensureExchangeStreams(
    app,
    stages.filter((s) => s.exchangeStream !== undefined).map((s) => ({ name: s.exchangeStream!, partitions: staged.stages[s.stage!]!.sends!.partitions })),
  );
  return { app, staged, stages };
}

/** Deletes the streams of every {@link stagedApp} and closes its clients (afterAll). */
export async function closeStagedApps(): Promise<void> {
  for (const { app, streams } of opened.splice(0)) {
    await Promise.all(streams.map((name) => app.clients.kinesis.send(new DeleteStreamCommand({ StreamName: name })).catch(() => undefined)));
    app.clients.destroy();
  }
}

/** Every record of `streamName` by shard, parents first, as the processor reads them (arrival times included). */
export async function readAll(app: LocalAwsApp, streamName: string): Promise<Map<string, SourceRecord[]>> {
  const source = new KinesisSource({ client: app.clients.kinesis, streamName });
  const byShard = new Map<string, SourceRecord[]>();
  for (const { shardId } of await source.listShards()) {
    const records: SourceRecord[] = [];
    for (;;) {
      const read = await source.read(shardId, records.at(-1)?.seq, 1_000);
      records.push(...read.records);
      if (read.records.length === 0) break;
    }
    byShard.set(shardId, records);
  }
  return byShard;
}

/** Runs a stage's local mapping until every shard of its stream is read and acknowledged. */
export async function drain(options: LocalAwsProcessorOptions): Promise<void> {
  const summary = await createLocalAwsProcessor(options).run({ untilDrained: true });
  expect(summary.stoppedBy).toBe('drained');
}

/** The windows a top-k stage printed, by end; a window printed twice (a retried invocation) must be the same. */
export function printedWindows(printed: readonly Printed[], app: string): Map<number, TopWindow> {
  const windows = new Map<number, TopWindow>();
  for (const p of printed.filter((p) => p.app === app)) {
    for (const w of p.items as TopWindow[]) {
      if (windows.has(w.endMs)) expect(w).toEqual(windows.get(w.endMs));
      windows.set(w.endMs, w);
    }
  }
  return windows;
}

/** A window of `examples/top-k-global.ts`. */
export interface TopWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly top: Array<[string, number]>;
}
