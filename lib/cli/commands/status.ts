import type { Command } from 'commander';
import { z } from 'zod';
import { KinesisSource } from '../../adapters/aws/kinesis-source';
import { ConfigError } from '../../core/errors';
import { openLocalAwsApp } from '../../compose/local-aws-app';
import { readShardStatuses, type ShardStatus } from '../../runtime/local-esm/shard-status';
import { isStreamSource } from '../../runtime/protocol/source-mismatch-error';
import { loadStagedPipeline } from '../load-pipeline';
import { localExchangeStreamName } from '../../compose/local-aws-processor';
import { stageApp } from '../../core/engine/compile-stages';
import { formatAgo, formatCount, formatDuration, formatRate } from '../format-units';
import { parseOptions } from '../parse-options';
import { addAwsTargetOptions, awsTargetOptions, resolveEndpoint } from './aws-target-options';

const statusSchema = z.object({ ...awsTargetOptions, pipeline: z.string().optional(), json: z.boolean(), verbose: z.boolean() });

/**
 * `sluice status`: per shard, where the app's processor stands (from its checkpoint and control
 * items), and how far behind its stream it is now (from the stream). An app whose pipeline has
 * exchanges (keyBy/global) shows each later stage too: the app `{app}.s{i}` on the exchange stream
 * `sluice dev` made for it (`sluice-{app}.s{i}`), one table (or JSON lines with `stage`) per stage.
 */
export function registerStatus(program: Command): void {
  const command = program.command('status').description("Show each shard's committed sequence number, batch number, lag, rate and last batch.");
  addAwsTargetOptions(command)
    .option('--pipeline <path>', 'pipeline module, for the default app name (default: the word count)')
    .option('--json', 'print one JSON object per shard instead of a table (for scripts: raw numbers, ms)', false)
    .option('--verbose', "add the committed sequence numbers and the controller's raw PID terms", false)
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(statusSchema, raw);
      const app = openLocalAwsApp({ app: o.app ?? (await loadStagedPipeline(o.pipeline)).name, endpoint: resolveEndpoint(o.endpoint), region: o.region });
      try {
        const source = new KinesisSource({ client: app.clients.kinesis, streamName: o.stream });
        const shards = await source.listShards().catch((error: unknown) => {
          throw notFound(error) ? new ConfigError('--stream', `no stream ${o.stream} on this endpoint`) : error;
        });
        const statuses = await readShardStatuses(
          app.checkpoints,
          app.app,
          shards.map((s) => s.shardId),
        ).catch((error: unknown) => {
          throw notFound(error) ? new ConfigError('--app', `no table ${app.tableName} on this endpoint: run sluice dev for app ${app.app} first`) : error;
        });
        // Another app's or another stream's checkpoints are no status of this one: say so instead.
        const foreign = statuses.find((s) => s.sourceId !== undefined && !isStreamSource(s.sourceId, o.stream));
        if (foreign !== undefined)
          throw new ConfigError(
            '--app',
            `app ${app.app} holds the offsets of ${foreign.sourceId}, not of stream ${o.stream} (give the app that reads ${o.stream} with --app)`,
          );
        if (statuses.every((s) => s.batchNo === 0 && s.failing === undefined)) {
          throw new ConfigError(
            '--app',
            `app ${app.app} has committed nothing from stream ${o.stream} in table ${app.tableName}: check the app's name (--app; by default the pipeline's), or wait for its first batch`,
          );
        }
        const nowMs = Date.now();
        const behind = await Promise.all(statuses.map((s) => behindMs(source, s, nowMs)));
        const rows = statuses.map((s, i) => ({ ...s, behindMs: behind[i] }));
        if (o.json)
          for (const s of rows)
            process.stdout.write(
              `${JSON.stringify({ ...s, caughtUp: s.behindMs === 0, committedRecords: (s.totals?.records ?? 0) - (s.totals?.quarantined ?? 0), quarantined: quarantinedOf(s) })}\n`,
            );
        else process.stdout.write(`${formatStatusTable(app.app, o.stream, rows, nowMs, o.verbose)}\n`);
        // The later stages of a pipeline with exchanges, as long as their exchange streams exist.
        for (let stage = 1; ; stage++) {
          const stream = localExchangeStreamName(app.app, stage);
          const stageSource = new KinesisSource({ client: app.clients.kinesis, streamName: stream });
          const stageShards = await stageSource.listShards().catch((error: unknown) => {
            if (notFound(error)) return undefined;
            throw error;
          });
          if (stageShards === undefined) break;
          const name = stageApp(app.app, stage);
          const stageStatuses = await readShardStatuses(
            app.checkpoints,
            name,
            stageShards.map((sh) => sh.shardId),
          );
          const stageNow = Date.now();
          const stageBehind = await Promise.all(stageStatuses.map((st) => behindMs(stageSource, st, stageNow)));
          const stageRows = stageStatuses.map((st, i) => ({ ...st, behindMs: stageBehind[i] }));
          if (o.json)
            for (const st of stageRows)
              process.stdout.write(
                `${JSON.stringify({ stage, app: name, ...st, caughtUp: st.behindMs === 0, committedRecords: (st.totals?.records ?? 0) - (st.totals?.quarantined ?? 0), quarantined: quarantinedOf(st) })}\n`,
              );
          else process.stdout.write(`\nstage ${stage} (exchange)\n${formatStatusTable(name, stream, stageRows, stageNow, o.verbose)}\n`);
        }
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
    // No record after the committed one: drained, whatever the stream's own MillisBehindLatest says.
    return oldest === undefined ? 0 : Math.max(0, nowMs - oldest.arrivalMs);
  } catch {
    return undefined;
  }
}

type StatusRow = ShardStatus & { behindMs: number | undefined };

/** Records a shard took in, quarantined ones included, and those it set aside. */
function quarantinedOf(s: ShardStatus): number {
  return (s.totals?.quarantined ?? 0) + (s.totals?.quarantinedElements ?? 0);
}

/**
 * The table `sluice status` prints: plain words and human units. `verbose` adds the committed
 * sequence number and the controller's raw PID terms, in Spark's names.
 */
export function formatStatusTable(app: string, stream: string, statuses: readonly StatusRow[], nowMs: number, verbose = false): string {
  const columns: Array<[string, (s: StatusRow) => string]> = [
    ['shard', (s) => s.shardId],
    ['batches', (s) => formatCount(s.batchNo)],
    ['behind', (s) => (s.behindMs === undefined ? '-' : s.behindMs === 0 ? 'caught up' : formatDuration(s.behindMs))],
    ['records', (s) => formatCount((s.totals?.records ?? 0) - (s.totals?.quarantined ?? 0))],
    ['quarantined', (s) => formatCount(quarantinedOf(s))],
    ['last batch', (s) => (s.lastBatch?.records === undefined ? '-' : `${formatCount(s.lastBatch.records)} rec`)],
    ['processing', (s) => formatDuration(s.lastBatch?.processingMs)],
    ['waited', (s) => formatDuration(s.lastBatch?.schedulingDelayMs)],
    ['rate limit', (s) => (s.rateLimit === undefined ? 'none' : formatRate(s.rateLimit))],
    ['can process', (s) => (s.controller?.terms === undefined ? '-' : formatRate(s.controller.terms.processingRate))],
    ['committed', (s) => formatAgo(s.updatedAtMs, nowMs)],
    ['controller', (s) => formatAgo(s.controller?.heartbeatAtMs, nowMs, 'not running')],
  ];
  if (verbose) {
    columns.splice(2, 0, ['committed seq', (s) => s.committedSeq ?? '-']);
    columns.push(
      ['pid error', (s) => (s.controller?.terms === undefined ? '-' : formatRate(s.controller.terms.error))],
      ['pid historical error', (s) => (s.controller?.terms === undefined ? '-' : formatRate(s.controller.terms.historicalError))],
      ['pid dError', (s) => (s.controller?.terms === undefined ? '-' : `${formatCount(s.controller.terms.dError)}/s²`)],
    );
  }
  const header = columns.map(([name]) => name);
  const rows = statuses.map((s) => columns.map(([, cell]) => cell(s)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const failing = statuses
    .filter((s) => s.failing !== undefined)
    .map((s) => `${s.shardId}: batch ${s.batchNo + 1} failed ${s.failing!.attempts} time(s): ${s.failing!.lastError}`);
  const taken = statuses.reduce((n, s) => n + (s.totals?.records ?? 0), 0);
  const quarantined = statuses.reduce((n, s) => n + (s.totals?.quarantined ?? 0), 0);
  const elements = statuses.reduce((n, s) => n + (s.totals?.quarantinedElements ?? 0), 0);
  const drained = statuses.every((s) => s.behindMs === 0);
  const setAside =
    quarantined + elements === 0
      ? 'none quarantined'
      : `${formatCount(quarantined)} quarantined${elements === 0 ? '' : ` (+${formatCount(elements)} keys' values)`}: sluice quarantine list --app ${app}`;
  const head = `app ${app}  stream ${stream}  ${formatCount(taken - quarantined)} records committed, ${setAside}${drained ? ', caught up' : ''}`;
  const legend = verbose
    ? []
    : [
        'behind: age of the oldest record not yet committed. waited: how long the last batch waited for its turn (scheduling delay). can process: the records/s the last batches were processed at, as the controller measured (--verbose adds its raw terms).',
      ];
  return [head, line(header), ...rows.map(line), ...failing, ...legend].join('\n');
}

function notFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}
