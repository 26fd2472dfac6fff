import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { loadStagedPipeline } from '../load-pipeline';
import { addAppStoresOptions, appStoresOptions, openAppStores } from '../open-app-stores';
import { parseOptions } from '../parse-options';
import { BatchHistory } from '../ui/batch-history';
import { startUiServer } from '../ui/ui-server';

const uiSchema = z.object({
  ...appStoresOptions,
  app: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 lowercase letters, digits or -')
    .optional(),
  pipeline: z.string().optional(),
  port: z.coerce.number().int().min(0, 'must be a port number, 0-65535 (0: any free port)').max(65_535, 'must be a port number, 0-65535 (0: any free port)'),
  duration: z.coerce.number().positive('must be a number of seconds above 0').optional(),
});

/**
 * `sluice ui`: a web page, served on localhost, with the app's timelines (input rate, rate limit,
 * scheduling delay, processing time, backlog), delay histograms, recent batches, quarantine and
 * controller: Spark's Streaming tab for a sluice app, read from its checkpoint as `status` does.
 */
export function registerUi(program: Command): void {
  const command = program
    .command('ui')
    .description(
      "Serve a web page on localhost with an app's live timelines, delay histograms, recent batches, quarantine and rate controller, read from its checkpoint.",
    );
  addAppStoresOptions(command)
    .option('--app <name>', 'app name (default: the pipeline name)')
    .option('--pipeline <path>', 'pipeline module, for the default app name (default: the word count)')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '4040')
    .option('--duration <seconds>', 'stop serving after this many seconds (default: until Ctrl-C)')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(uiSchema, raw);
      const app = o.app ?? (await loadStagedPipeline(o.pipeline)).name;
      const stores = openAppStores(app, o);
      const history = new BatchHistory({ app, where: stores.where, checkpoints: stores.checkpoints, objects: stores.objects });
      let warned = false;
      const server = await startUiServer({
        history,
        port: o.port,
        onSampleError: (error) => {
          if (warned) return;
          warned = true;
          process.stderr.write(
            `sluice: ui: cannot read ${stores.where} (the page keeps its last data): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`,
          );
        },
      }).catch((error: unknown) => {
        void stores.close();
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
          throw new ConfigError(
            '--port',
            `port ${o.port} is taken on 127.0.0.1 (another sluice ui, or a Spark UI?): pick another with --port, or --port 0 for any free one`,
          );
        throw error;
      });
      process.stdout.write(`sluice ui: ${server.url} (app ${app}, ${stores.where}); Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        if (o.duration !== undefined) setTimeout(resolve, o.duration * 1000);
      });
      await server.close();
      await stores.close();
    });
}
