import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_BATCH_INTERVAL_MS, DEFAULT_MAX_BATCH_ATTEMPTS } from '../../core/defaults';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { ensureExchangeStreams, ensureLocalAwsResources, openLocalAwsApp, type LocalAwsApp } from '../../compose/local-aws-app';
import { createLocalAwsHandler, createLocalAwsProcessor, localAwsStageOptions, type LocalAwsProcessorOptions } from '../../compose/local-aws-processor';
import { stageApp } from '../../core/engine/compile-stages';
import type { EsmRunSummary } from '../../runtime/local-esm/local-esm';
import { checkAppSource } from '../../runtime/protocol/check-app-source';
import { RateControlLoop } from '../../runtime/controller/rate-control-loop';
import { streamArn } from '../../runtime/local-esm/kinesis-event';
import { idleTickEvent } from '../../core/idle-tick-event';
import { SystemClock } from '../../adapters/local/system-clock';
import { ConfigError } from '../../core/errors';
import { LiveView } from '../live-view';
import { attachUi, uiPort } from '../ui/attach-ui';
import { QUARANTINE_EXIT_CODE, quarantineSummary } from '../quarantine-summary';
import { loadStagedPipeline } from '../load-pipeline';
import { numberOption } from '../number-option';
import { parseOptions } from '../parse-options';
import { addAwsTargetOptions, awsTargetOptions, resolveEndpoint } from './aws-target-options';

const devSchema = z.object({
  ...awsTargetOptions,
  shards: numberOption.whole(1, 500, 'shards').optional(),
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
  failOnQuarantine: z.boolean(),
  ui: z.union([z.boolean(), z.string()]).optional(),
});

/** Open shards of `stream`, or `undefined` when it does not exist. */
async function openShardCount(app: LocalAwsApp, stream: string): Promise<number | undefined> {
  try {
    const out = await app.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    return out.StreamDescriptionSummary?.OpenShardCount;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/**
 * Runs one local mapping per stage. Without `drain`, all at once, until the signal. With it, stage
 * by stage: a stage drained has sent all it will, so the next one drains what it sent.
 */
async function runStages(stages: readonly LocalAwsProcessorOptions[], signal: AbortSignal, drain: boolean): Promise<EsmRunSummary> {
  const summaries: EsmRunSummary[] = [];
  if (!drain) summaries.push(...(await Promise.all(stages.map((stage) => createLocalAwsProcessor(stage).run({ signal })))));
  else
    for (const stage of stages)
      if (!signal.aborted || summaries.length === 0) summaries.push(await createLocalAwsProcessor(stage).run({ signal, untilDrained: true }));
  return {
    stoppedBy: summaries.length === stages.length && summaries.every((s) => s.stoppedBy === 'drained') ? 'drained' : 'signal',
    invocations: summaries.reduce((n, s) => n + s.invocations, 0),
    discarded: summaries.flatMap((s) => s.discarded),
    checkpoints: Object.assign({}, ...summaries.map((s) => s.checkpoints)) as EsmRunSummary['checkpoints'],
  };
}

/** `sluice dev`: the Lambda processor run in-process against an emulator, behind the local ESM. */
export function registerDev(program: Command): void {
  const command = program
    .command('dev')
    .description(
      'Run the Lambda processor in-process against LocalStack or moto: a local event source mapping polls the Kinesis stream and invokes it as Lambda would.',
    );
  addAwsTargetOptions(command)
    .option('--shards <n>', 'shards of the stream, to create it (an existing stream keeps its own; a different number is refused)')
    .option('--pipeline <path>', 'pipeline module (default: the per-shard word count, examples/word-count-per-shard.ts)')
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
    .option('--fail-on-quarantine', `exit ${QUARANTINE_EXIT_CODE} when the run quarantined anything`, false)
    .option('--ui [port]', 'serve the web UI (sluice ui) of this app on 127.0.0.1 (default port 4040; 0: any free port)')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(devSchema, raw);
      const port = uiPort(o.ui);
      if (o.controller && o.idleTickAfter <= o.batchingWindow) {
        throw new ConfigError(
          '--idle-tick-after',
          `must be more than the batching window (${o.batchingWindow} s), or a record still on its way could arrive before the tick's idle time (given ${o.idleTickAfter})`,
        );
      }
      const pipeline = await loadStagedPipeline(o.pipeline, { perShardDefault: true });
      const app = openLocalAwsApp({ app: o.app ?? pipeline.name, endpoint: resolveEndpoint(o.endpoint), region: o.region, requireEndpoint: true });
      const abort = new AbortController();
      let stoppedBy = 'signal';
      const stop = (): void => abort.abort();
      let closeUi: { close(): Promise<void> } | undefined;
      const timer = o.duration === undefined ? undefined : setTimeout(() => ((stoppedBy = 'duration'), abort.abort()), o.duration * 1000);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const say = (line: string): void => void process.stdout.write(`sluice dev: ${line}\n`);
        const existing = await openShardCount(app, o.stream);
        if (existing === undefined && o.shards === undefined)
          throw new ConfigError('--shards', `stream ${o.stream} does not exist on ${app.endpoint}: give --shards N to create it with N shards`);
        if (existing !== undefined && o.shards !== undefined && existing !== o.shards) {
          throw new ConfigError(
            '--shards',
            `stream ${o.stream} already has ${existing} open shards, not ${o.shards}: drop --shards, or give ${existing} (resharding is UpdateShardCount's job)`,
          );
        }
        say(
          existing === undefined
            ? `creating stream ${o.stream} (${o.shards} ${o.shards === 1 ? 'shard' : 'shards'}), table ${app.tableName} and bucket ${app.bucketName} on ${app.endpoint}…`
            : `stream ${o.stream} has ${existing} open ${existing === 1 ? 'shard' : 'shards'}; checking table ${app.tableName} and bucket ${app.bucketName} on ${app.endpoint}…`,
        );
        await ensureLocalAwsResources(app, { name: o.stream, shards: existing ?? o.shards! });
        const staged = pipeline.stages.length > 1;
        // Before the mapping reads or the controller ticks: an app moved to another stream is refused.
        const sourceId = streamArn(app.region, o.stream);
        await checkAppSource(app.checkpoints, app.app, sourceId, { appSetting: '--app' });
        const view = new LiveView({ title: `${app.app}  stream ${o.stream}  table ${app.tableName}  bucket ${app.bucketName}` });
        const ui = await attachUi(port, {
          app: app.app,
          where: `table ${app.tableName}, bucket ${app.bucketName}`,
          checkpoints: app.checkpoints,
          objects: app.objects,
        });
        closeUi = ui;
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
            if (report.outcome.kind === 'failure')
              process.stderr.write(`sluice: shard ${report.shardId}: invocation failed, the mapping retries it: ${report.outcome.reason}\n`);
            // One row per committed batch, with the numbers its checkpoint keeps (as `sluice status` shows them).
            for (const b of committed) {
              view.batch({
                shardId: report.shardId,
                scheduledMs: b.batchTimeMs,
                batches: [b],
                records: b.records,
                schedulingDelayMs: b.schedulingDelayMs,
                rate: b.rateLimit,
                committedSeq: null,
              });
              ui?.record(b);
            }
          },
        };
        // A pipeline with exchanges: one processor and mapping per stage, as the construct deploys them.
        const stages = localAwsStageOptions({ ...esmOptions, pipeline }).map((stage, s) => ({
          ...stage,
          onInvocation: (
            report: Parameters<NonNullable<LocalAwsProcessorOptions['onInvocation']>>[0],
            committed: Parameters<NonNullable<LocalAwsProcessorOptions['onInvocation']>>[1],
          ) => esmOptions.onInvocation!(s === 0 ? report : { ...report, shardId: `s${s}/${report.shardId}` }, committed),
        }));
        if (staged) {
          await ensureExchangeStreams(
            app,
            stages
              .filter((st) => st.exchangeStream !== undefined)
              .map((st) => ({ name: st.exchangeStream!, partitions: pipeline.stages[st.stage!]!.sends!.partitions })),
          );
          for (const st of stages) {
            const sends = pipeline.stages[st.stage!]!.sends;
            say(
              `stage ${st.stage} (app ${stageApp(app.app, st.stage!)}) reads ${st.streamName}${st.stage! > 0 ? ` (the exchange; origins: the shards of ${st.exchangeOriginsStream})` : ''}${sends === undefined ? '' : `, sends to ${st.exchangeStream} (${sends.partitions} ${sends.partitions === 1 ? 'partition' : 'partitions'})`}; its rows show as s${st.stage}/<shard>`.replace(
                '; its rows show as s0/<shard>',
                '',
              ),
            );
          }
        }
        say(
          `ready; waiting for records on ${o.stream} (write some with: sluice push --stream ${o.stream} --file FILE)${o.controller ? `; the controller publishes rates every ${o.controlInterval} s` : ''}`,
        );
        // The controller, as deployed: published rates, and idle ticks sent to a handler of their own
        // (another "container"), never to the one the mapping invokes.
        const controllerStop = new AbortController();
        // One controller per stage, as deployed. Idle ticks go to stage 0 only, which reads the
        // source: its progress markers carry time through the exchanges.
        const ticks = o.controller ? createLocalAwsHandler(stages[0]!) : undefined;
        const controller = ticks
          ? Promise.all(
              stages.map((stage, s) =>
                new RateControlLoop({
                  app: stageApp(app.app, s),
                  checkpoints: app.checkpoints,
                  clock: new SystemClock(),
                  estimator: {
                    kind: 'sluice',
                    batchIntervalMs: o.batchingWindow > 0 ? o.batchingWindow * 1000 : DEFAULT_BATCH_INTERVAL_MS,
                    maxRate: s === 0 ? o.maxRate : undefined,
                  },
                  controlIntervalMs: o.controlInterval * 1000,
                  invocationId: 'sluice-dev',
                  sourceId: s === 0 ? sourceId : streamArn(app.region, stage.streamName),
                  appSetting: '--app',
                  // Rates show in the live view and `sluice status`; what goes wrong shows here.
                  log: {
                    info: () => undefined,
                    warn: (message, attributes) => void process.stderr.write(`sluice: ${message} ${JSON.stringify(attributes)}\n`),
                  },
                  ...(s === 0
                    ? {
                        idleTicks: {
                          afterMs: o.idleTickAfter * 1000,
                          request: async (shardId: string, idleAtMs: number) => void (await ticks(idleTickEvent(shardId, idleAtMs))),
                        },
                      }
                    : {}),
                }).runUntilAborted(controllerStop.signal),
              ),
            )
          : Promise.resolve();
        const summary = await runStages(stages, abort.signal, o.drain).finally(() => controllerStop.abort());
        await controller;
        view.done(
          `stopped (${summary.stoppedBy === 'drained' ? 'drained' : stoppedBy}): ${records.toLocaleString('en-US')} records in ${batches} batches over ${summary.invocations} invocations; ${summary.discarded.length} batches discarded`,
        );
        const line = quarantineSummary(view.quarantined, `sluice quarantine list --app ${app.app} --endpoint ${app.endpoint ?? '<url>'}`);
        if (line !== undefined) {
          process.stderr.write(`sluice: ${line}\n`);
          if (o.failOnQuarantine) process.exitCode = QUARANTINE_EXIT_CODE;
        }
      } finally {
        await closeUi?.close();
        clearTimeout(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        app.clients.destroy();
      }
    });
}
