import type { Command } from 'commander';
import { getHeapStatistics } from 'node:v8';
import { z } from 'zod';
import { SystemClock } from '../../adapters/local/system-clock';
import { createSource } from '../../adapters/local/sources/create-source';
import { DEFAULT_BATCH_INTERVAL_MS, DEFAULT_MAX_BATCH_ATTEMPTS } from '../../core/defaults';
import { unnamedStateWarning } from '../../core/engine/compile-pipeline';
import { INITIAL_PID_STATE } from '../../core/rate/pid-state';
import { createRateEstimator } from '../../runtime/controller/create-rate-estimator';
import { BatchRetryPolicy } from '../../runtime/failures/batch-retry-policy';
import { CheckpointSourceLedger } from '../../runtime/protocol/checkpoint-source-ledger';
import { LocalDriver } from '../../runtime/local-driver/local-driver';
import { StagedLocalDriver } from '../../runtime/local-driver/staged-local-driver';
import { ShardedSource } from '../../adapters/local/sources/sharded-source';
import { MicroBatchProcessor } from '../../runtime/protocol/micro-batch-processor';
import { defaultCheckpointDir, openLocalStores } from '../../compose/open-local-app';
import { StateBudget } from '../../runtime/protocol/state/state-budget';
import { tokenBucketGate } from '../../runtime/rate-gates/token-bucket-gate';
import { LiveView } from '../live-view';
import { attachUi, uiPort } from '../ui/attach-ui';
import { QUARANTINE_EXIT_CODE, quarantineSummary } from '../quarantine-summary';
import { loadStagedPipeline } from '../load-pipeline';
import { numberOption } from '../number-option';
import { parseOptions } from '../parse-options';
import { APP_NAME_RULE, isAppName } from '../../core/app-name';

const runOptionsSchema = z.object({
  pipeline: z.string().optional(),
  app: z.string().refine(isAppName, APP_NAME_RULE).optional(),
  source: z.string().min(1),
  fromStart: z.boolean(),
  checkpointDir: z.string().min(1).optional(),
  batchInterval: numberOption.whole(10, 3_600_000, 'milliseconds'),
  maxRate: numberOption.whole(1, 100_000_000, 'records per second').optional(),
  duration: numberOption.positive(31_536_000, 'seconds').optional(),
  backpressure: z.boolean(),
  rateController: z.enum(['sluice', 'pid']),
  wal: z.boolean(),
  maxBatchAttempts: z.coerce.number().int().min(1).max(10_000),
  stateMemory: z.coerce.number().int().min(1).max(1_048_576).optional(),
  failOnQuarantine: z.boolean(),
  ui: z.union([z.boolean(), z.string()]).optional(),
  shards: numberOption.whole(1, 1_024, 'shards').optional(),
});

/** `sluice run`: runs a pipeline locally on the embedded default (SQLite + a directory). */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('Run a pipeline locally: micro-batches over a local source, checkpointed on disk (kill -9 safe).')
    .option('--pipeline <path>', 'pipeline module (default export)', undefined)
    .option('--app <name>', 'app name: namespaces checkpoints and the WAL (default: the pipeline name)')
    .option('--source <spec>', 'generator | generator:SEED | file:PATH | stdin | socket:PORT', 'generator')
    .option(
      '--from-start',
      'file: sources: a file that is not the one whose lines the checkpoint committed (replaced, rewritten, cut short) is counted from its first line, on top of the state',
      false,
    )
    .option('--checkpoint-dir <dir>', 'where offsets, state and the WAL live (default: .sluice/<app>)')
    .option('--batch-interval <ms>', 'batch interval in milliseconds', String(DEFAULT_BATCH_INTERVAL_MS))
    .option('--max-rate <n>', 'static limit, records per second per shard')
    .option('--duration <seconds>', 'stop after this many seconds (default: until the source is drained or Ctrl-C)')
    .option('--no-backpressure', 'turn off the rate controller (PID after every batch)')
    .option('--rate-controller <kind>', "sluice (Spark's PID with headroom, a slew limit and clamps; ADR 0003) | pid (Spark's exact PID)", 'sluice')
    .option('--no-wal', 'skip the write-ahead log: state stays exactly-once, outputs become at-least-once')
    .option(
      '--max-batch-attempts <n>',
      'failed attempts of one batch whose sink keeps throwing before its records are quarantined and the shard moves on',
      String(DEFAULT_MAX_BATCH_ATTEMPTS),
    )
    .option(
      '--state-memory <MB>',
      "memory a shard's state may take before the run stops, saying so (default: half of Node's heap; raise the heap with NODE_OPTIONS=--max-old-space-size=MB)",
    )
    .option(
      '--fail-on-quarantine',
      `exit ${QUARANTINE_EXIT_CODE} when the run quarantined anything (records your code threw on, that did not decode, or batches set aside)`,
      false,
    )
    .option('--ui [port]', 'serve the web UI (sluice ui) of this run on 127.0.0.1 (default port 4040; 0: any free port)')
    .option('--shards <n>', 'read the source as a stream of n shards, record i on shard i mod n (how a Kinesis stream spreads a key over its shards)')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(runOptionsSchema, raw);
      const port = uiPort(o.ui);
      const staged = await loadStagedPipeline(o.pipeline);
      const pipeline = staged.stages[0]!;
      for (const stage of staged.stages) {
        const unnamed = unnamedStateWarning(stage);
        if (unnamed !== undefined) process.stderr.write(`warning: ${unnamed}\n`);
      }
      const app = o.app ?? pipeline.name;
      const dir = o.checkpointDir ?? defaultCheckpointDir(app);
      const clock = new SystemClock();
      const { checkpoints, objects } = openLocalStores(dir);
      const ledger = new CheckpointSourceLedger({ app, checkpoints, objects });
      const single = createSource(o.source, { clock, store: objects, app, ledger: o.shards === undefined ? ledger : undefined, fromStart: o.fromStart });
      const source = o.shards === undefined ? single : new ShardedSource(single, o.shards);
      const view = new LiveView({ title: `${app}  source ${o.source}  checkpoint ${dir}` });
      const failurePolicy = new BatchRetryPolicy({ app, pipeline, checkpoints, objects, clock, maxAttempts: o.maxBatchAttempts });
      const heap = getHeapStatistics().heap_size_limit;
      const stateBudget =
        o.stateMemory === undefined
          ? new StateBudget(heap, 'the heap (NODE_OPTIONS=--max-old-space-size=MB)')
          : StateBudget.fixed(o.stateMemory * 1_048_576, '--state-memory');
      const processor = new MicroBatchProcessor({
        app,
        pipeline,
        checkpoints,
        objects,
        clock,
        output: view,
        walEnabled: o.wal,
        maxRatePerShard: o.maxRate,
        rateGate: tokenBucketGate(),
        failurePolicy,
        stateBudget,
        onGarbageError: reportGarbageError,
      });
      const estimator = o.backpressure
        ? createRateEstimator({ kind: o.rateController, batchIntervalMs: o.batchInterval, maxRate: o.maxRate }, INITIAL_PID_STATE)
        : undefined;
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const ui = await attachUi(port, { app, where: dir, checkpoints, objects });
      try {
        const durationMs = o.duration === undefined ? undefined : o.duration * 1000;
        const result =
          staged.stages.length > 1
            ? // A pipeline with exchanges: every stage runs here, each an app of its own (docs/decisions/0015).
              await new StagedLocalDriver({
                app,
                staged,
                source,
                checkpoints,
                objects,
                clock,
                batchIntervalMs: o.batchInterval,
                output: view,
                maxRatePerShard: o.maxRate,
                estimator,
                durationMs,
                signal: abort.signal,
                retryFailures: true,
                onFailure: reportFailure,
                onBatch: (_stage, e) => {
                  view.batch(e);
                  for (const b of e.batches) ui?.record(b);
                },
                processorOptions: (s, stageAppName) => ({
                  walEnabled: o.wal,
                  ...(s === 0 ? { maxRatePerShard: o.maxRate, rateGate: tokenBucketGate() } : {}),
                  failurePolicy: new BatchRetryPolicy({
                    app: stageAppName,
                    pipeline: staged.stages[s]!,
                    checkpoints,
                    objects,
                    clock,
                    maxAttempts: o.maxBatchAttempts,
                  }),
                  stateBudget,
                  onGarbageError: reportGarbageError,
                }),
              }).run()
            : await new LocalDriver({
                app,
                source,
                processor,
                checkpoints,
                clock,
                batchIntervalMs: o.batchInterval,
                maxRatePerShard: o.maxRate,
                estimator,
                durationMs,
                signal: abort.signal,
                onBatch: (e) => {
                  view.batch(e);
                  for (const b of e.batches) ui?.record(b);
                },
                retryFailures: true,
                onFailure: reportFailure,
              }).run();
        const stages = staged.stages.length > 1 ? ` of ${staged.stages.length} stages` : '';
        view.done(`stopped (${result.stoppedBy}): ${result.records.toLocaleString('en-US')} records in ${result.batches} batches${stages} committed to ${dir}`);
        const line = quarantineSummary(view.quarantined, `sluice quarantine list --app ${app} --checkpoint-dir ${dir}`);
        if (line !== undefined) {
          process.stderr.write(`sluice: ${line}\n`);
          if (o.failOnQuarantine) process.exitCode = QUARANTINE_EXIT_CODE;
        }
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await ui?.close();
        await source.close?.();
        await checkpoints.close();
      }
    });
}

/** Superseded state objects stay on disk until the next snapshot's sweep: worth a word, not a stop. */
function reportGarbageError(error: unknown): void {
  process.stderr.write(
    `sluice: could not delete superseded state objects (the next snapshot tries again): ${error instanceof Error ? error.message : String(error)}\n`,
  );
}

/** A batch failed and will be tried again at the next tick (quarantined once it failed too often). */
function reportFailure(shardId: string, error: unknown): void {
  process.stderr.write(`sluice: shard ${shardId}: batch failed, retrying: ${error instanceof Error ? error.message : String(error)}\n`);
}
