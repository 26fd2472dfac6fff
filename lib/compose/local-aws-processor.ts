import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisSource } from '../adapters/aws/kinesis-source';
import { SystemClock } from '../adapters/local/system-clock';
import type { BatchStats } from '../core/batch-stats';
import type { CompiledPipeline } from '../core/engine/compile-pipeline';
import { stageApp, type StagedPipeline } from '../core/engine/compile-stages';
import type { Clock } from '../ports/clock';
import type { OutputSink } from '../ports/output-sink';
import { checkAppSource } from '../runtime/protocol/check-app-source';
import { readCommittedSeq } from '../runtime/protocol/checkpoint-record';
import { createProcessorHandler, type ProcessorHandler, type ProcessorHandlerDeps } from './create-processor-handler';
import type { Metrics } from '../ports/metrics';
import type { EsmSettings } from '../runtime/local-esm/esm-settings';
import { streamArn } from '../runtime/local-esm/kinesis-event';
import { LocalEsm, type InvocationReport } from '../runtime/local-esm/local-esm';
import type { LocalAwsApp } from './local-aws-app';
import { ProcessorEnvironment } from '../runtime/lambda/function-environment';

/** Options of {@link createLocalAwsProcessor}: the app's processor settings and its mapping's. */
export interface LocalAwsProcessorOptions extends EsmSettings {
  /** The app (stage 0's name); a later stage runs as `{app}.s{stage}` in the same table and bucket. */
  readonly app: LocalAwsApp;
  readonly pipeline: CompiledPipeline | StagedPipeline;
  /** The stream this function reads: the source for stage 0, the exchange stage-1 sends to otherwise. */
  readonly streamName: string;
  /** Which stage of a pipeline with exchanges this processor runs. @default 0 */
  readonly stage?: number;
  /** A sending stage: the exchange stream it puts its chunks on. */
  readonly exchangeStream?: string;
  /** A receiving stage: the stream the previous stage reads, whose shards are its origins. */
  readonly exchangeOriginsStream?: string;
  /** @default true */
  readonly walEnabled?: boolean;
  /** @default - none */
  readonly maxRatePerShard?: number;
  /** @default DEFAULT_MAX_BATCH_ATTEMPTS */
  readonly maxBatchAttempts?: number;
  /** @default 250 (faster than AWS's ~1 s, for a responsive terminal) */
  readonly pollIntervalMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Where `print()` goes. @default the processor's structured log */
  readonly output?: OutputSink;
  /** Called after every invocation with the batches it committed. */
  readonly onInvocation?: (report: InvocationReport, batches: readonly BatchStats[]) => void;
}

/**
 * The Lambda processor of an app, run in-process behind the local ESM: what `sluice dev` runs
 * against an emulator. The handler is the one deployed (same code, same environment variables,
 * built through `createProcessorHandler`), the mapping is set as the StreamProcessor construct sets
 * it (ReportBatchItemFailures on, bisect on), and each shard resumes after the processor's committed
 * sequence number, as a deployed mapping resumes from its own checkpoint. Before the first shard is
 * read, the app's checkpoints must hold the offsets of this stream ({@link checkAppSource}).
 */
export function createLocalAwsProcessor(options: LocalAwsProcessorOptions): LocalEsm {
  const { app, streamName } = options;
  const appName = stageApp(app.app, options.stage ?? 0);
  // Invocations of different shards overlap: keep each shard's committed batches apart.
  const committed = new Map<string, BatchStats[]>();
  const handler = createLocalAwsHandler(options, {
    batchCommitted: (stats) => void committed.set(stats.shardId, [...(committed.get(stats.shardId) ?? []), stats]),
  });
  const eventSourceArn = streamArn(app.region, streamName);
  // Before any shard reads: positions of another stream would be read in this one, and its records skipped.
  let sourceChecked: Promise<void> | undefined;
  return new LocalEsm({
    source: new KinesisSource({ client: app.clients.kinesis, streamName }),
    handler,
    clock: options.clock ?? new SystemClock(),
    eventSourceArn,
    batchSize: options.batchSize,
    maximumBatchingWindowInSeconds: options.maximumBatchingWindowInSeconds,
    reportBatchItemFailures: options.reportBatchItemFailures ?? true,
    bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? true,
    maximumRetryAttempts: options.maximumRetryAttempts,
    pollIntervalMs: options.pollIntervalMs ?? 250,
    retryDelayMs: options.pollIntervalMs ?? 250,
    startAfter: async (shardId) => {
      await (sourceChecked ??= checkAppSource(app.checkpoints, appName, eventSourceArn, { appSetting: '--app' }));
      // A user record of a KPL aggregate (`{seq}.{sub}`) makes the source start AT its aggregate.
      return (await readCommittedSeq(app.checkpoints, appName, shardId)) ?? undefined;
    },
    onInvoke: (report) => {
      const batches = committed.get(report.shardId) ?? [];
      committed.delete(report.shardId);
      options.onInvocation?.(report, batches);
    },
  });
}

/**
 * The app's processor function as a handler: the deployed code with the deployed environment
 * variables. Each call builds another "container" (its own warm cache), so `sluice dev` gives the
 * controller's idle ticks a handler of their own, as Lambda runs them in other containers than the
 * mapping's invocations: concurrency between them is the protocol's fencing, never a shared cache.
 */
export function createLocalAwsHandler(
  options: LocalAwsProcessorOptions,
  metrics?: Metrics,
  deps: Pick<ProcessorHandlerDeps, 'sourceOf' | 'exchangeWriter'> = {},
): ProcessorHandler {
  const { app, pipeline } = options;
  return createProcessorHandler(pipeline, {
    ...deps,
    env: {
      [ProcessorEnvironment.APP_NAME]: app.app,
      [ProcessorEnvironment.TABLE_NAME]: app.tableName,
      [ProcessorEnvironment.BUCKET_NAME]: app.bucketName,
      [ProcessorEnvironment.WAL_ENABLED]: String(options.walEnabled ?? true),
      [ProcessorEnvironment.BATCHING_WINDOW_SECONDS]: String(options.maximumBatchingWindowInSeconds ?? 0),
      ...(options.maxRatePerShard === undefined ? {} : { [ProcessorEnvironment.MAX_RATE_PER_SHARD]: String(options.maxRatePerShard) }),
      ...(options.maxBatchAttempts === undefined ? {} : { [ProcessorEnvironment.MAX_BATCH_ATTEMPTS]: String(options.maxBatchAttempts) }),
      ...(options.stage === undefined ? {} : { [ProcessorEnvironment.STAGE]: String(options.stage) }),
      ...(options.exchangeStream === undefined ? {} : { [ProcessorEnvironment.EXCHANGE_STREAM]: options.exchangeStream }),
      ...(options.exchangeOriginsStream === undefined ? {} : { [ProcessorEnvironment.EXCHANGE_ORIGINS_STREAM]: options.exchangeOriginsStream }),
    },
    clients: app.clients,
    checkpoints: app.checkpoints,
    objects: app.objects,
    clock: options.clock,
    logger: new Logger({ serviceName: stageApp(app.app, options.stage ?? 0), logLevel: 'SILENT' }),
    metrics: metrics ?? { batchCommitted: () => undefined },
    output: options.output,
  });
}

/** The Kinesis stream stage `stage` (≥ 1) of `app` reads in local AWS mode: `sluice-{app}.s{stage}`, next to the app's table and bucket. */
export function localExchangeStreamName(app: string, stage: number): string {
  return `sluice-${stageApp(app, stage)}`;
}

/**
 * The processor options of every stage of `options.pipeline` (docs/decisions/0015), as the
 * StreamProcessor construct wires the functions: stage 0 reads `options.streamName`, stage i+1 the
 * exchange stream stage i sends to ({@link localExchangeStreamName}), whose origins are the shards
 * of the stream stage i reads. A pipeline without exchanges gives one entry, the options as given.
 */
export function localAwsStageOptions(options: LocalAwsProcessorOptions & { readonly pipeline: StagedPipeline }): LocalAwsProcessorOptions[] {
  const { stages } = options.pipeline;
  if (stages.length === 1) return [{ ...options, pipeline: stages[0]! }];
  const streamOf = (s: number): string => (s === 0 ? options.streamName : localExchangeStreamName(options.app.app, s));
  return stages.map((stage, s) => ({
    ...options,
    stage: s,
    streamName: streamOf(s),
    exchangeStream: stage.sends === undefined ? undefined : streamOf(s + 1),
    exchangeOriginsStream: s === 0 ? undefined : streamOf(s - 1),
  }));
}
