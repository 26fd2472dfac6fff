import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { openLocalAwsApp } from '../../compose/local-aws-app';
import { defaultCheckpointDir, openLocalStores } from '../../compose/open-local-app';
import { mergedStateEntries } from '../../runtime/protocol/read-merged-state';
import { isStreamSource } from '../../runtime/protocol/source-mismatch-error';
import { endpointOption, REGION_HELP, regionOption, resolveEndpoint } from './aws-target-options';
import { writeJsonObject } from '../write-json-object';
import { loadPipeline, loadStagedPipeline } from '../load-pipeline';
import type { StagedPipeline } from '../../core/engine/compile-stages';
import { stageApp, stageOfOperator } from '../../core/engine/compile-stages';
import { parseOptions } from '../parse-options';

const dumpSchema = z.object({
  pipeline: z.string().optional(),
  app: z.string().optional(),
  checkpointDir: z.string().min(1).optional(),
  operator: z.string().optional(),
  endpoint: endpointOption.optional(),
  stream: z.string().optional(),
  region: regionOption,
});

/**
 * `sluice state dump`: prints a stateful operator's state, merged across shards, as one JSON object,
 * streamed. For a pipeline with exchanges, the state of the stage that holds the operator, named on stderr.
 */
export function registerState(program: Command): void {
  const state = program.command('state').description('Read the checkpointed state of a pipeline.');
  state
    .command('dump')
    .description('Print the merged state as one JSON object {"key": value, ...} on stdout.')
    .option('--pipeline <path>', 'pipeline module (default: the word count)')
    .option('--app <name>', 'app name (default: the pipeline name)')
    .option('--checkpoint-dir <dir>', 'local checkpoint directory (default: .sluice/<app>)')
    .option('--operator <id>', "stateful operator to dump (default: the pipeline's last)")
    .option('--endpoint <url>', 'local AWS mode (sluice dev): read the table sluice-<app> on this emulator (default: AWS_ENDPOINT_URL with --stream)')
    .option('--stream <name>', "local AWS mode: the app's Kinesis stream")
    .option('--region <region>', REGION_HELP)
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(dumpSchema, raw);
      const awsMode = o.endpoint !== undefined || o.stream !== undefined;
      // Local AWS mode reads what `sluice dev` ran: by default the per-shard word count, as dev runs one stage.
      const staged = awsMode && o.pipeline === undefined ? await singleStage() : await loadStagedPipeline(o.pipeline);
      // With keyBy/global, the stage that holds the operator: its state is per key across the stream (no merge of partials).
      const { stage, pipeline } = stageOfOperator(staged, o.operator);
      const app = stageApp(o.app ?? staged.name, stage);
      if (staged.stages.length > 1)
        process.stderr.write(
          `${o.operator ?? pipeline.statefulOperators[pipeline.statefulOperators.length - 1]!.id}: stage ${stage} of ${staged.stages.length} (app ${app})\n`,
        );
      // A stream's offsets are kept under its ARN: with --stream, refuse an app that reads another one.
      const stream = o.stream;
      const expect =
        stream === undefined ? {} : { expectSource: (sourceId: string) => isStreamSource(sourceId, stream), expectedSourceName: `stream ${stream}` };
      if (awsMode) {
        const aws = openLocalAwsApp({ app, endpoint: resolveEndpoint(o.endpoint), region: o.region });
        try {
          await writeJsonObject(
            process.stdout,
            await mergedStateEntries({
              checkpoints: aws.checkpoints,
              objects: aws.objects,
              app,
              pipeline,
              operatorId: o.operator,
              requireCheckpoint: true,
              ...expect,
            }),
          );
        } finally {
          aws.clients.destroy();
        }
        return;
      }
      const dir = o.checkpointDir ?? defaultCheckpointDir(app);
      if (!existsSync(join(dir, 'checkpoint.sqlite')))
        throw new ConfigError('--checkpoint-dir', `no checkpoint in ${dir} (run the pipeline first, or point at its directory)`);
      const { checkpoints, objects } = openLocalStores(dir);
      try {
        await writeJsonObject(
          process.stdout,
          await mergedStateEntries({ checkpoints, objects, app, pipeline, operatorId: o.operator, requireCheckpoint: true }),
        );
      } finally {
        await checkpoints.close();
      }
    });
}

async function singleStage(): Promise<StagedPipeline> {
  const pipeline = await loadPipeline();
  return { name: pipeline.name, stages: [pipeline] };
}
