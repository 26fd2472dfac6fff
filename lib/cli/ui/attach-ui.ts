import type { BatchStats } from '../../core/batch-stats';
import { ConfigError } from '../../core/errors';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ObjectStore } from '../../ports/object-store';
import { BatchHistory } from './batch-history';
import { startUiServer } from './ui-server';

/** The web UI of a command that runs the batches itself (`run --ui`, `dev --ui`). */
export interface AttachedUi {
  /** Hands a committed batch to the page: every batch, not a sample. */
  record(stats: BatchStats): void;
  close(): Promise<void>;
}

/** Parses `--ui [port]`: `true` (no value) is Spark's port 4040. */
export function uiPort(value: string | boolean | undefined): number | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 4040;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError('--ui', `must be a port number, 0-65535 (0: any free port) (given ${JSON.stringify(value)})`);
  return port;
}

/** Starts the UI server beside a run and prints its address; `undefined` when `port` is. */
export async function attachUi(
  port: number | undefined,
  target: { app: string; where: string; checkpoints: CheckpointStore; objects: ObjectStore },
): Promise<AttachedUi | undefined> {
  if (port === undefined) return undefined;
  const history = new BatchHistory(target);
  const server = await startUiServer({ history, port }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new ConfigError('--ui', `port ${port} is taken on 127.0.0.1: give another (--ui 4041), or --ui 0 for any free one`);
    throw error;
  });
  process.stderr.write(`sluice: web UI at ${server.url}\n`);
  return { record: (stats) => history.record(stats), close: () => server.close() };
}
