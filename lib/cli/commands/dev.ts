import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_BATCH_INTERVAL_MS, DEFAULT_MAX_BATCH_ATTEMPTS } from '../../core/defaults';
import { ensureLocalAwsResources, openLocalAwsApp } from '../../runtime/local-esm/local-aws-app';
import { createLocalAwsHandler, createLocalAwsProcessor, type LocalAwsProcessorOptions } from '../../runtime/local-esm/local-aws-processor';
import { checkAppSource } from '../../runtime/check-app-source';
import { RateControlLoop } from '../../runtime/controller/rate-control-loop';
import { streamArn } from '../../runtime/local-esm/kinesis-event';
import { idleTickEvent } from '../../runtime/lambda/idle-tick-event';
import { SystemClock } from '../../adapters/local/system-clock';
import { ConfigError } from '../../core/errors';
import { LiveView } from '../live-view';
import { loadPipeline } from '../load-pipeline';
import { numberOption } from '../number-option';
import { parseOptions } from '../parse-options';
import { addAwsTargetOptions, awsTargetOptions } from './aws-target-options';

const devSchema = z.object({
  ...awsTargetOptions,
  shards: numberOption.whole(1, 500, 'shards'),
  duration: numberOption.positive(31_536_000, 'seconds').optional(),
  drain: z.boolean(),
  pipeline: z.string().optional(),
  batchSize: numberOption.whole(1, 10_000, 'records'),
  batchingWindow: numberOption.whole(0, 300, 'seconds'),
  maxRate: numberOption.positive(100_000_000, 'records per second').optional(),
  wal: z.boolean(),
  maxBatchAttempts: numberOption.whole(1, 10_000, 'attempts'),
  pollInterval: numberOption.whole(10, 60_000, 'milliseconds'),
  controller: z.boolean(),
  controlInterval: numberOption.whole(1, 55, 'seconds'),
  idleTickAfter: numberOption.whole(1, 3_600, 'seconds'),
});

/** `sluice dev`: the Lambda processor run in-process against an emulator, behind the local ESM. */
export function registerDev(program: Command): void {
  const command = program
    .command('dev')
    .description('Run the Lambda processor in-process against LocalStack or moto: a local event source mapping polls the Kinesis stream and invokes it as Lambda would.');
  addAwsTargetOptions(command)
    .requiredOption('--shards <n>', 'shards of the stream, when it has to be created')
    .option('--pipeline <path>', 'pipeline module (default: the word count)')
    .option('--duration <seconds>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--drain', 'stop once every shard is read and acknowledged', false)
    .option('--batch-size <n>', 'BatchSize of the mapping: most records per invocation', '100')
    .option('--batching-window <seconds>', 'MaximumBatchingWindowInSeconds of the mapping', '1')
    .option('--max-rate <n>', 'static limit, records per second per shard')
    .option('--no-wal', 'skip the write-ahead log: state stays exactly-once, outputs become at-least-once')
    .option('--max-batch-attempts <n>', 'failed attempts of one batch before it is quarantined', String(DEFAULT_MAX_BATCH_ATTEMPTS))
    .option('--poll-interval <ms>', 'pause between polls of a shard with nothing new', '250')
    .option('--no-controller', 'run no rate controller (no published rates, no idle ticks)')
    .option('--control-interval <seconds>', 'how often the controller samples the shards and publishes rates', '5')
    .option('--idle-tick-after <seconds>', 'how long a shard commits nothing before the controller ticks it, so its arrival-time windows close', '60')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(devSchema, raw);
      if (o.controller && o.idleTickAfter <= o.batchingWindow) {
        throw new ConfigError('--idle-tick-after', `must be more than the batching window (${o.batchingWindow} s), or a record still on its way could arrive before the tick's idle time (given ${o.idleTickAfter})`);
      }
      const pipeline = await loadPipeline(o.pipeline);
      const app = openLocalAwsApp({ app: o.app ?? pipeline.name, endpoint: o.endpoint, region: o.region, requireEndpoint: true });
      const abort = new AbortController();
      let stoppedBy = 'signal';
      const stop = (): void => abort.abort();
      const timer = o.duration === undefined ? undefined : setTimeout(() => ((stoppedBy = 'duration'), abort.abort()), o.duration * 1000);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await ensureLocalAwsResources(app, { name: o.stream, shards: o.shards });
        // Before the mapping reads or the controller ticks: an app moved to another stream is refused.
        const sourceId = streamArn(app.region, o.stream);
        await checkAppSource(app.checkpoints, app.app, sourceId, { appSetting: '--app' });
        const view = new LiveView({ title: `${app.app}  stream ${o.stream}  table ${app.tableName}  bucket ${app.bucketName}` });
        let records = 0;
        let batches = 0;
        const esmOptions: LocalAwsProcessorOptions = {
          app,
          pipeline,
          streamName: o.stream,
          batchSize: o.batchSize,
          maximumBatchingWindowInSeconds: o.batchingWindow,
          maxRatePerShard: o.maxRate,
          walEnabled: o.wal,
          maxBatchAttempts: o.maxBatchAttempts,
          pollIntervalMs: o.pollInterval,
          output: view,
          onInvocation: (report, committed) => {
            const n = committed.reduce((sum, b) => sum + b.records, 0);
            records += n;
            batches += committed.length;
            if (report.outcome.kind === 'failure') process.stderr.write(`sluice: shard ${report.shardId}: invocation failed, the mapping retries it: ${report.outcome.reason}\n`);
            if (committed.length === 0) return;
            view.batch({
              shardId: report.shardId,
              scheduledMs: Date.now(),
              batches: committed,
              records: n,
              schedulingDelayMs: Math.max(...committed.map((b) => b.schedulingDelayMs)),
              rate: committed[committed.length - 1]!.rateLimit,
              // The view shows no offsets; `sluice status` does.
              committedSeq: null,
            });
          },
        };
        const esm = createLocalAwsProcessor(esmOptions);
        // The controller, as deployed: published rates, and idle ticks sent to a handler of their own
        // (another "container"), never to the one the mapping invokes.
        const controllerStop = new AbortController();
        const ticks = o.controller ? createLocalAwsHandler(esmOptions) : undefined;
        const controller = ticks
          ? new RateControlLoop({
              app: app.app,
              checkpoints: app.checkpoints,
              clock: new SystemClock(),
              estimator: { kind: 'sluice', batchIntervalMs: o.batchingWindow > 0 ? o.batchingWindow * 1000 : DEFAULT_BATCH_INTERVAL_MS, maxRate: o.maxRate },
              controlIntervalMs: o.controlInterval * 1000,
              invocationId: 'sluice-dev',
              sourceId,
              appSetting: '--app',
              // Rates show in the live view and `sluice status`; what goes wrong shows here.
              log: { info: () => undefined, warn: (message, attributes) => void process.stderr.write(`sluice: ${message} ${JSON.stringify(attributes)}\n`) },
              idleTicks: { afterMs: o.idleTickAfter * 1000, request: async (shardId, idleAtMs) => void (await ticks(idleTickEvent(shardId, idleAtMs))) },
            }).runUntilAborted(controllerStop.signal)
          : Promise.resolve();
        const summary = await esm.run({ signal: abort.signal, untilDrained: o.drain }).finally(() => controllerStop.abort());
        await controller;
        view.done(`stopped (${summary.stoppedBy === 'drained' ? 'drained' : stoppedBy}): ${records.toLocaleString('en-US')} records in ${batches} batches over ${summary.invocations} invocations; ${summary.discarded.length} batches discarded`);
      } finally {
        clearTimeout(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        app.clients.destroy();
      }
    });
}
