import { Logger } from '@aws-lambda-powertools/logger';
import { KinesisSource } from '../adapters/aws/kinesis-source';
import { SystemClock } from '../adapters/local/system-clock';
import type { BatchStats } from '../core/batch-stats';
import type { CompiledPipeline } from '../core/engine/compile-pipeline';
import type { Clock } from '../ports/clock';
import type { OutputSink } from '../ports/output-sink';
import { checkAppSource } from '../runtime/protocol/check-app-source';
import { readCommittedSeq } from '../runtime/protocol/checkpoint-record';
import { createProcessorHandler, type ProcessorHandler } from './create-processor-handler';
import type { Metrics } from '../ports/metrics';
import type { EsmSettings } from '../runtime/local-esm/esm-settings';
import { streamArn } from '../runtime/local-esm/kinesis-event';
import { LocalEsm, type InvocationReport } from '../runtime/local-esm/local-esm';
import type { LocalAwsApp } from './local-aws-app';
import { ProcessorEnvironment } from '../runtime/lambda/function-environment';

/** Options of {@link createLocalAwsProcessor}: the app's processor settings and its mapping's. */
export interface LocalAwsProcessorOptions extends EsmSettings {
  readonly app: LocalAwsApp;
  readonly pipeline: CompiledPipeline;
  readonly streamName: string;
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
      await (sourceChecked ??= checkAppSource(app.checkpoints, app.app, eventSourceArn, { appSetting: '--app' }));
      // A user record of a KPL aggregate (`{seq}.{sub}`) makes the source start AT its aggregate.
      return (await readCommittedSeq(app.checkpoints, app.app, shardId)) ?? undefined;
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
export function createLocalAwsHandler(options: LocalAwsProcessorOptions, metrics?: Metrics): ProcessorHandler {
  const { app, pipeline } = options;
  return createProcessorHandler(pipeline, {
    env: {
      [ProcessorEnvironment.APP_NAME]: app.app,
      [ProcessorEnvironment.TABLE_NAME]: app.tableName,
      [ProcessorEnvironment.BUCKET_NAME]: app.bucketName,
      [ProcessorEnvironment.WAL_ENABLED]: String(options.walEnabled ?? true),
      [ProcessorEnvironment.BATCHING_WINDOW_SECONDS]: String(options.maximumBatchingWindowInSeconds ?? 0),
      ...(options.maxRatePerShard === undefined ? {} : { [ProcessorEnvironment.MAX_RATE_PER_SHARD]: String(options.maxRatePerShard) }),
      ...(options.maxBatchAttempts === undefined ? {} : { [ProcessorEnvironment.MAX_BATCH_ATTEMPTS]: String(options.maxBatchAttempts) }),
    },
    clients: app.clients,
    checkpoints: app.checkpoints,
    objects: app.objects,
    clock: options.clock,
    logger: new Logger({ serviceName: app.app, logLevel: 'SILENT' }),
    metrics: metrics ?? { batchCommitted: () => undefined },
    output: options.output,
  });
}
