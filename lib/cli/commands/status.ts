import type { Command } from 'commander';
import { z } from 'zod';
import { KinesisSource } from '../../adapters/aws/kinesis-source';
import { ConfigError } from '../../core/errors';
import { openLocalAwsApp } from '../../runtime/local-esm/local-aws-app';
import { readShardStatuses, type ShardStatus } from '../../runtime/local-esm/shard-status';
import { isStreamSource } from '../../runtime/source-mismatch-error';
import { loadPipeline } from '../load-pipeline';
import { parseOptions } from '../parse-options';
import { addAwsTargetOptions, awsTargetOptions } from './aws-target-options';

const statusSchema = z.object({ ...awsTargetOptions, pipeline: z.string().optional(), json: z.boolean() });

/**
 * `sluice status`: per shard, where the app's processor stands (from its checkpoint and control
 * items), and how far behind its stream it is now (from the stream).
 */
export function registerStatus(program: Command): void {
  const command = program.command('status').description("Show each shard's committed sequence number, batch number, lag, rate and last batch.");
  addAwsTargetOptions(command)
    .option('--pipeline <path>', 'pipeline module, for the default app name (default: the word count)')
    .option('--json', 'print one JSON object per shard instead of a table', false)
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(statusSchema, raw);
      const app = openLocalAwsApp({ app: o.app ?? (await loadPipeline(o.pipeline)).name, endpoint: o.endpoint, region: o.region });
      try {
        const source = new KinesisSource({ client: app.clients.kinesis, streamName: o.stream });
        const shards = await source.listShards().catch((error: unknown) => {
          throw notFound(error) ? new ConfigError('--stream', `no stream ${o.stream} on this endpoint`) : error;
        });
        const statuses = await readShardStatuses(app.checkpoints, app.app, shards.map((s) => s.shardId)).catch((error: unknown) => {
          throw notFound(error) ? new ConfigError('--app', `no table ${app.tableName} on this endpoint: run sluice dev for app ${app.app} first`) : error;
        });
        // Another app's or another stream's checkpoints are no status of this one: say so instead.
        const foreign = statuses.find((s) => s.sourceId !== undefined && !isStreamSource(s.sourceId, o.stream));
        if (foreign !== undefined) throw new ConfigError('--app', `app ${app.app} holds the offsets of ${foreign.sourceId}, not of stream ${o.stream} (give the app that reads ${o.stream} with --app)`);
        if (statuses.every((s) => s.batchNo === 0 && s.failing === undefined)) {
          throw new ConfigError('--app', `app ${app.app} has committed nothing from stream ${o.stream} in table ${app.tableName}: check the app's name (--app; by default the pipeline's), or wait for its first batch`);
        }
        const nowMs = Date.now();
        const behind = await Promise.all(statuses.map((s) => behindMs(source, s, nowMs)));
        const rows = statuses.map((s, i) => ({ ...s, behindMs: behind[i] }));
        if (o.json) for (const s of rows) process.stdout.write(`${JSON.stringify(s)}\n`);
        else process.stdout.write(`${formatTable(app.app, o.stream, rows, nowMs)}\n`);
      } finally {
        app.clients.destroy();
      }
    });
}

/**
 * How far the shard's processor is behind its stream now: the age of the oldest record after the
 * committed one, 0 when there is none. (The last batch's `millisBehind` is how far behind that batch
 * was when it ran: after a drain it would report the backlog the shard no longer has.) `undefined`
 * when the stream cannot say (a shard no longer in it).
 */
async function behindMs(source: KinesisSource, status: ShardStatus, nowMs: number): Promise<number | undefined> {
  try {
    const next = await source.read(status.shardId, status.committedSeq ?? undefined, 1);
    const oldest = next.records[0];
    return oldest === undefined ? (next.millisBehind ?? 0) : Math.max(0, nowMs - oldest.arrivalMs);
  } catch {
    return undefined;
  }
}

function formatTable(app: string, stream: string, statuses: ReadonlyArray<ShardStatus & { behindMs: number | undefined }>, nowMs: number): string {
  const header = ['shard', 'batch', 'committed seq', 'behind ms', 'rate/s', 'pid error/s', 'pid backlog/s', 'records', 'proc ms', 'sched ms', 'updated', 'controller'];
  const rows = statuses.map((s) => [
    s.shardId,
    String(s.batchNo),
    s.committedSeq === null ? '-' : s.committedSeq.length > 16 ? `…${s.committedSeq.slice(-15)}` : s.committedSeq,
    num(s.behindMs),
    s.rateLimit === undefined ? '∞' : num(Math.round(s.rateLimit)),
    s.controller?.terms === undefined ? '-' : num(Math.round(s.controller.terms.error)),
    s.controller?.terms === undefined ? '-' : num(Math.round(s.controller.terms.historicalError)),
    num(s.lastBatch?.records),
    num(s.lastBatch?.processingMs),
    num(s.lastBatch?.schedulingDelayMs),
    s.updatedAtMs === undefined ? 'never' : `${((nowMs - s.updatedAtMs) / 1000).toFixed(1)} s ago`,
    s.controller?.heartbeatAtMs === undefined ? 'never' : `${((nowMs - s.controller.heartbeatAtMs) / 1000).toFixed(1)} s ago`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const failing = statuses.filter((s) => s.failing !== undefined).map((s) => `${s.shardId}: batch ${s.batchNo + 1} failed ${s.failing!.attempts} time(s): ${s.failing!.lastError}`);
  const total = statuses.reduce((n, s) => n + (s.totals?.records ?? 0), 0);
  return [`app ${app}  stream ${stream}  ${num(total)} records committed`, line(header), ...rows.map(line), ...failing].join('\n');
}

function num(n: number | undefined): string {
  return n === undefined ? '-' : n.toLocaleString('en-US');
}

function notFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}
