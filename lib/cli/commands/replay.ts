import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_MAX_BATCH_ATTEMPTS } from '../../core/defaults';
import { ConfigError } from '../../core/errors';
import { defaultCheckpointDir } from '../../compose/open-local-app';
import { replayWal, type ReplaySummary } from '../../runtime/tools/replay';
import { replayStagedWal, type StageReplaySummary } from '../../runtime/tools/replay-staged';
import { stageApp } from '../../core/engine/compile-stages';
import { readReplayStatus } from '../../runtime/tools/replay-status';
import { StorageKeys } from '../../runtime/protocol/storage-keys';
import { loadStagedPipeline } from '../load-pipeline';
import { numberOption } from '../number-option';
import { addAppStoresOptions, appStoresOptions, openAppStores, type AppStores } from '../open-app-stores';
import { parseOptions } from '../parse-options';
import { parseTime } from '../parse-time';
import { APP_NAME_RULE, isAppName } from '../../core/app-name';

const appName = z.string().refine(isAppName, APP_NAME_RULE);

const replaySchema = z.object({
  ...appStoresOptions,
  app: appName,
  sourceApp: appName.optional(),
  sourceCheckpointDir: z.string().min(1).optional(),
  pipeline: z.string().optional(),
  from: z.string().min(1),
  to: z.string().min(1).optional(),
  resume: z.boolean(),
  maxBatchAttempts: numberOption.whole(1, 10_000, 'attempts'),
});

/** `sluice replay`: re-runs a time range of an app's WAL into a fresh app's state. */
export function registerReplay(program: Command): void {
  const command = program
    .command('replay')
    .description(
      "Re-run the WAL batches of an app whose batch time is in [--from, --to) into a fresh app's state: reprocessing beyond the stream's retention.",
    );
  addAppStoresOptions(command)
    .requiredOption('--from <time>', 'first batch time: ISO 8601 (2026-05-01T12:00:00Z), epoch ms, or relative (-15m, -2h, -1d)')
    .option('--to <time>', 'batch time to stop at, excluded (default: the newest batch)')
    .requiredOption('--app <name>', 'the fresh app receiving the state')
    .option('--source-app <name>', 'the app whose WAL is replayed (default: the pipeline name)')
    .option('--source-checkpoint-dir <dir>', "local mode: the source app's checkpoint directory (default: .sluice/<source-app>)")
    .option(
      '--pipeline <path>',
      "pipeline to run over the batches (default: the per-shard word count); with exchanges (keyBy, global), stage 0 replays the WAL and the later stages run over the new app's exchange",
    )
    .option('--resume', 'continue a replay into an app that already has state (only the same replay, after it was interrupted)', false)
    .option('--max-batch-attempts <n>', 'failed attempts of one batch before it is quarantined in the new app', String(DEFAULT_MAX_BATCH_ATTEMPTS))
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(replaySchema, raw);
      const nowMs = Date.now();
      const fromMs = parseTime('--from', o.from, nowMs);
      const toMs = o.to === undefined ? undefined : parseTime('--to', o.to, nowMs);
      if (toMs !== undefined && toMs <= fromMs) throw new ConfigError('--to', `must be after --from (given ${o.to}, before or at ${o.from})`);
      const staged = await loadStagedPipeline(o.pipeline, { perShardDefault: true });
      const sourceApp = o.sourceApp ?? staged.name;
      const apps = staged.stages.map((_, s) => stageApp(o.app, s));
      if (sourceApp === o.app) throw new ConfigError('--app', `must name a new app, not the source app ${sourceApp}`);
      const aws = o.endpoint !== undefined || o.table !== undefined || o.bucket !== undefined;
      // AWS mode: both apps live in one table and bucket (keys are per app). Locally: two directories.
      const source = openAppStores(sourceApp, { ...o, checkpointDir: o.sourceCheckpointDir ?? defaultCheckpointDir(sourceApp) });
      let target: AppStores | undefined;
      try {
        target = aws ? source : openAppStores(o.app, o, true);
        const status = await readReplayStatus(target.checkpoints, o.app);
        if (status?.complete === false && !o.resume) {
          throw new ConfigError(
            '--app',
            `app ${o.app} in ${target.where} holds a replay of ${status.sourceApp} that stopped before its end; pass --resume to finish it, or replay into a new app`,
          );
        }
        // Every stage of the new app is an app of its own: none may hold state yet.
        for (const app of apps) {
          const existing = await target.checkpoints.query(StorageKeys.appPartition(app), StorageKeys.SHARD_PREFIX);
          if (existing.length > 0 && !o.resume) {
            throw new ConfigError(
              '--app',
              `app ${app} already has state in ${target.where} (${existing.length} shard(s)); replay into a new app, or pass --resume to finish an interrupted replay`,
            );
          }
        }
        const options = {
          source: { app: sourceApp, objects: source.objects, checkpoints: source.checkpoints },
          target: { app: o.app, ...target },
          fromMs,
          toMs,
          maxBatchAttempts: o.maxBatchAttempts,
        };
        const summary: ReplaySummary & { stages?: readonly StageReplaySummary[] } =
          staged.stages.length === 1 ? await replayWal({ ...options, pipeline: staged.stages[0]! }) : await replayStagedWal({ ...options, staged });
        process.stdout.write(
          `replayed ${summary.batches} WAL batches (${summary.records.toLocaleString('en-US')} records) of ${sourceApp} from ${summary.shards} shard(s) into ${o.app} (${target.where}): ${summary.committed} batches committed\n`,
        );
        // A pipeline with exchanges: what each later stage ran over the new app's exchange.
        for (const [s, stage] of (summary.stages ?? []).entries()) {
          if (s === 0) continue;
          process.stdout.write(
            `stage ${s} (${stage.app}): ${stage.batches} batches committed (${stage.records.toLocaleString('en-US')} exchange records of ${apps[s - 1]})\n`,
          );
        }
      } finally {
        if (target !== undefined && target !== source) await target.close();
        await source.close();
      }
    });
}
