import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { KinesisWriter, type KinesisWriteRecord, type PutAllResult } from '../../adapters/aws/kinesis-writer';
import { ConfigError } from '../../core/errors';
import type { Clock } from '../../ports/clock';
import { openLocalAwsApp, type LocalAwsApp } from '../../compose/local-aws-app';
import { listHashRanges } from '../../adapters/aws/list-hash-ranges';
import { packAggregates } from '../../runtime/producer/kpl-packer';
import { Producer } from '../../compose/producer';
import { loadStagedPipeline } from '../load-pipeline';
import { numberOption } from '../number-option';
import { parseOptions } from '../parse-options';
import { addAwsTargetOptions, awsTargetOptions, resolveEndpoint } from './aws-target-options';

const pushSchema = z.object({
  ...awsTargetOptions,
  file: z.string().min(1),
  pipeline: z.string().optional(),
  keyBy: z.enum(['index', 'line'], { error: 'must be "index" or "line"' }),
  backpressure: z.boolean(),
  maxRate: numberOption.positive(100_000_000, 'records per second').optional(),
  aggregate: z.boolean().default(false),
});

/** Options of {@link pushLines}. */
export interface PushLinesOptions {
  readonly stream: string;
  readonly lines: readonly string[];
  /** Partition key of each record: its line number (spreads lines over shards) or the line itself. */
  readonly keyBy: 'index' | 'line';
  /** Follow the rates the controller publishes in the app's table, when it exists. */
  readonly backpressure: boolean;
  /** The processors' static limit, records/s per shard. @default - none */
  readonly maxRatePerShard?: number;
  /** Pack lines into KPL aggregates of up to 25 KB (docs/decisions/0020). @default false */
  readonly aggregate?: boolean;
  readonly onProgress?: (written: number, total: number) => void;
  /** Called with a note when backpressure was asked for but cannot apply. */
  readonly onNote?: (note: string) => void;
  /** The producer's clock (tests pass a fake one). @default the system clock */
  readonly clock?: Clock;
}

/**
 * Writes one record per line. With backpressure, through a {@link Producer} that sends no faster than
 * the rates published in the app's table; without it, or while no table exists yet, at full speed
 * through a {@link KinesisWriter}. Either way entries Kinesis refuses inside an HTTP 200 are resent.
 */
export async function pushLines(app: LocalAwsApp, options: PushLinesOptions): Promise<PutAllResult> {
  const records: KinesisWriteRecord[] = options.lines.map((line, i) => ({
    partitionKey: options.keyBy === 'line' ? line.slice(0, 256) : `line-${i}`,
    data: new TextEncoder().encode(line),
  }));
  const progress = { onProgress: options.onProgress };
  if (options.backpressure && (await tableExists(app))) {
    const producer = new Producer({
      app: app.app,
      stream: options.stream,
      kinesis: app.clients.kinesis,
      checkpoints: app.checkpoints,
      maxRatePerShard: options.maxRatePerShard,
      clock: options.clock,
      aggregate: options.aggregate,
    });
    return producer.send(records, progress);
  }
  if (options.backpressure) options.onNote?.(`no table ${app.tableName} yet, so no published rates to follow: writing at full speed`);
  const writer = new KinesisWriter({ client: app.clients.kinesis, streamName: options.stream });
  if (options.aggregate !== true) return writer.putAll(records, progress);
  const packed = packAggregates(records, await listHashRanges(app.clients.kinesis, options.stream));
  const result = await writer.putAll(packed, {
    onProgress: (written) =>
      options.onProgress?.(
        packed.slice(0, written).reduce((n, p) => n + p.indexes.length, 0),
        records.length,
      ),
  });
  const failures = result.failures.flatMap((f) => packed[f.index]!.indexes.map((index) => ({ index, errorCode: f.errorCode })));
  return { written: records.length - failures.length, failed: failures.length, failures };
}

/** What to say when records were finally not written, or `undefined` when all were. */
export function describeUnwritten(result: PutAllResult, total: number): string | undefined {
  if (result.failed === 0) return undefined;
  const byCode = new Map<string, number>();
  for (const f of result.failures) byCode.set(f.errorCode, (byCode.get(f.errorCode) ?? 0) + 1);
  const codes = [...byCode].map(([code, n]) => `${code} ×${n}`).join(', ');
  const lines = result.failures
    .slice(0, 10)
    .map((f) => f.index + 1)
    .join(', ');
  return `${result.failed.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} records were not written (${codes}); lines ${lines}${result.failed > 10 ? ', ...' : ''}`;
}

/** `sluice push`: writes a file (or stdin), one record per line, to a Kinesis stream. */
export function registerPush(program: Command): void {
  const command = program
    .command('push')
    .description('Write a file to a Kinesis stream, one record per line (empty lines skipped), following the published rates.');
  addAwsTargetOptions(command)
    .requiredOption('--file <path>', 'the file to send, or - for stdin')
    .option('--pipeline <path>', 'pipeline module, for the default app name (default: the word count)')
    .option('--key-by <what>', 'partition key: index (the line number, spreads over shards) | line (the line itself)', 'index')
    .option('--no-backpressure', 'ignore the published rates and write at full speed')
    .option('--max-rate <n>', "the processors' static limit, records per second per shard")
    .option('--aggregate', 'pack lines into KPL aggregates of up to 25 KB: ~250x fewer PUT payload units for 100-byte lines', false)
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(pushSchema, raw);
      const lines = await readLines(o.file);
      const app = openLocalAwsApp({ app: o.app ?? (await loadStagedPipeline(o.pipeline)).name, endpoint: resolveEndpoint(o.endpoint), region: o.region });
      const bar = new cliProgress.SingleBar(
        { format: 'push |{bar}| {percentage}% {value}/{total} records | {rate} records/s | eta {eta_formatted}', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      const startedMs = Date.now();
      const rate = (written: number): string => Math.round(written / Math.max(0.001, (Date.now() - startedMs) / 1000)).toLocaleString('en-US');
      bar.start(lines.length, 0, { rate: '0' });
      try {
        const result = await pushLines(app, {
          stream: o.stream,
          lines,
          keyBy: o.keyBy,
          backpressure: o.backpressure,
          maxRatePerShard: o.maxRate,
          aggregate: o.aggregate,
          onProgress: (written) => bar.update(written, { rate: rate(written) }),
          onNote: (note) => process.stderr.write(`sluice: ${note}\n`),
        }).catch((error: unknown) => {
          if (error instanceof Error && error.name === 'ResourceNotFoundException')
            throw new ConfigError('--stream', `no stream ${o.stream} on this endpoint (sluice dev --shards N creates it)`);
          throw error;
        });
        bar.stop();
        process.stdout.write(
          `pushed ${result.written.toLocaleString('en-US')} records to ${o.stream} in ${((Date.now() - startedMs) / 1000).toFixed(1)} s (${rate(result.written)} records/s)\n`,
        );
        const unwritten = describeUnwritten(result, lines.length);
        if (unwritten !== undefined) {
          process.stderr.write(`sluice: ${unwritten}\n`);
          process.exitCode = 1;
        }
      } finally {
        bar.stop();
        app.clients.destroy();
      }
    });
}

/** The non-empty lines of `path`, or of stdin for `-`. */
async function readLines(path: string): Promise<string[]> {
  let text: string;
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError('--file', error.code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${error.message}`);
    });
  }
  return text.split(/\r?\n/).filter((line) => line.length > 0);
}

async function tableExists(app: LocalAwsApp): Promise<boolean> {
  try {
    await app.clients.dynamodb.send(new DescribeTableCommand({ TableName: app.tableName }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return false;
    throw error;
  }
}
