import { z } from 'zod';
import { DEFAULT_MAX_BATCH_ATTEMPTS } from '../../core/defaults';
import { ConfigError } from '../../core/errors';
import { blank, envProblems } from './env-problems';
import { ProcessorEnvironment as E } from './function-environment';
import { APP_NAME_RULE, isAppName } from '../../core/app-name';
import { stageApp } from '../../core/engine/compile-stages';

/** The processor function's configuration, read from its environment once per container. */
export interface ProcessorConfig {
  /** Names the app's items and objects: the stage's app, `{APP_NAME}.s{stage}` past stage 0. */
  readonly app: string;
  /** The stage this function runs (0 for a pipeline without exchanges). */
  readonly stage: number;
  /** A sending stage: the Kinesis stream its chunks go to. */
  readonly exchangeStream: string | undefined;
  /** A receiving stage: the stream whose open shards are its origins (the previous stage's input). */
  readonly exchangeOriginsStream: string | undefined;
  readonly tableName: string;
  readonly bucketName: string;
  readonly walEnabled: boolean;
  /** Static limit per shard, records/s; `undefined` = none (a published rate may still apply). */
  readonly maxRatePerShard: number | undefined;
  /** The ESM's batching window, ms: the part of a batch's wait that is by design. */
  readonly batchingWindowMs: number;
  /** Failed attempts of one batch before it is quarantined and the shard moves on. */
  readonly maxBatchAttempts: number;
}

const STREAM = /^[A-Za-z0-9_.-]{1,128}$/;
const STREAM_RULE = 'must be a Kinesis stream name: 1-128 letters, digits, "_", "-" or "."';

const whole = (min: number, max: number, rule: string) =>
  z.preprocess(
    blank,
    z
      .string()
      .regex(/^\d+$/, { error: rule, abort: true })
      .refine((v) => Number(v) >= min && Number(v) <= max, rule),
  );

const schema = z.object({
  [E.APP_NAME]: z.preprocess(blank, z.string().refine(isAppName, APP_NAME_RULE).optional()),
  [E.TABLE_NAME]: z.preprocess(
    blank,
    z
      .string({ error: 'is required: the DynamoDB checkpoint table' })
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name: 3-255 letters, digits, "_", "-" or "."'),
  ),
  [E.BUCKET_NAME]: z.preprocess(
    blank,
    z
      .string({ error: 'is required: the S3 bucket of the WAL and quarantine' })
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name: 3-63 lowercase letters, digits, "." or "-"'),
  ),
  [E.WAL_ENABLED]: z.preprocess(blank, z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).default('true')),
  [E.MAX_RATE_PER_SHARD]: z.preprocess(
    blank,
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, { error: 'must be a number of records per second > 0', abort: true })
      .refine((v) => Number(v) > 0, 'must be > 0 records per second')
      .optional(),
  ),
  [E.BATCHING_WINDOW_SECONDS]: whole(0, 300, 'must be whole seconds from 0 to 300 (the ESM MaximumBatchingWindowInSeconds)').default('0'),
  [E.MAX_BATCH_ATTEMPTS]: whole(1, 10_000, 'must be a whole number of attempts from 1 to 10000').default(String(DEFAULT_MAX_BATCH_ATTEMPTS)),
  [E.PIPELINE]: z.preprocess(blank, z.string().optional()),
  [E.STAGE]: whole(0, 99, 'must be a whole stage index from 0 to 99').optional(),
  [E.EXCHANGE_STREAM]: z.preprocess(blank, z.string().regex(STREAM, STREAM_RULE).optional()),
  [E.EXCHANGE_ORIGINS_STREAM]: z.preprocess(blank, z.string().regex(STREAM, STREAM_RULE).optional()),
  [E.EXCHANGE_PARTITIONS]: z.preprocess(
    blank,
    z
      .string()
      .regex(/^\d+(,\d+)*$/, 'must be the partitions of each exchange the stack deployed, comma-separated whole numbers (e.g. "4,1")')
      .optional(),
  ),
});

/** What the configuration needs to know of each stage of the pipeline bundled in. */
export interface StageShape {
  /** It ends at an exchange (keyBy/global). */
  readonly sends: boolean;
  /** It reads an exchange. */
  readonly receives: boolean;
  /** A sending stage: the partitions of the exchange it sends to (checked against `SLUICE_EXCHANGE_PARTITIONS`). */
  readonly partitions?: number;
}

/**
 * Reads and checks the processor's environment (names from {@link ProcessorEnvironment}). Every
 * problem is reported at once, each naming the variable, the value found and the rule, in one
 * `ConfigError`:
 *
 * - `APP_NAME` (default: the pipeline's name), `TABLE_NAME`, `BUCKET_NAME`;
 * - `WAL_ENABLED` (`true`/`false`, default `true`), `MAX_RATE_PER_SHARD` (records/s,
 *   default none), `BATCHING_WINDOW_SECONDS` (the mapping's batching window, default 0, see
 *   {@link invocationDelays}), `MAX_BATCH_ATTEMPTS` (default {@link DEFAULT_MAX_BATCH_ATTEMPTS});
 * - `PIPELINE`: the pipeline bundled into the function is fixed at build time; when set, this
 *   must be its name, so a function deployed with the wrong bundle fails at cold start;
 * - `SLUICE_STAGE` (default 0) of a pipeline with exchanges: must be one of `stages`; a stage that
 *   sends needs `SLUICE_EXCHANGE_STREAM`, a stage that receives `SLUICE_EXCHANGE_ORIGINS_STREAM`, and
 *   neither may be set on a stage that does not use it (a function wired to the wrong stage);
 * - `SLUICE_EXCHANGE_PARTITIONS` (set by the construct for a `processorEntry` with
 *   `exchangeShardCounts`): the partitions of each exchange the stack deployed, which must be the
 *   pipeline's, in order. A mismatch is one line naming both layouts, in place of the stage
 *   problems it causes.
 */
export function loadProcessorConfig(
  env: Readonly<Record<string, string | undefined>>,
  pipelineName: string,
  stages: readonly StageShape[] = [{ sends: false, receives: false }],
): ProcessorConfig {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? [] : envProblems(parsed.error.issues, env);
  if (parsed.success && parsed.data.PIPELINE !== undefined && parsed.data.PIPELINE !== pipelineName) {
    problems.push(
      `${E.PIPELINE}=${JSON.stringify(parsed.data.PIPELINE)}: must name the pipeline bundled into this function, which is ${JSON.stringify(pipelineName)}`,
    );
  }
  if (parsed.success) {
    const layout = layoutProblem(parsed.data.SLUICE_EXCHANGE_PARTITIONS, pipelineName, stages);
    problems.push(...(layout === undefined ? stageProblems(parsed.data, pipelineName, stages) : [layout]));
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError('environment', problems.join('; '));
  const d = parsed.data;
  const stage = Number(d.SLUICE_STAGE ?? '0');
  return {
    app: stageApp(d.APP_NAME ?? pipelineName, stage),
    stage,
    exchangeStream: d.SLUICE_EXCHANGE_STREAM,
    exchangeOriginsStream: d.SLUICE_EXCHANGE_ORIGINS_STREAM,
    tableName: d.TABLE_NAME,
    bucketName: d.BUCKET_NAME,
    walEnabled: d.WAL_ENABLED === 'true',
    maxRatePerShard: d.MAX_RATE_PER_SHARD === undefined ? undefined : Number(d.MAX_RATE_PER_SHARD),
    batchingWindowMs: Number(d.BATCHING_WINDOW_SECONDS) * 1000,
    maxBatchAttempts: Number(d.MAX_BATCH_ATTEMPTS),
  };
}

/**
 * The exchanges the stack deployed (`SLUICE_EXCHANGE_PARTITIONS`) against the pipeline's: a stack
 * built from `exchangeShardCounts` for a pipeline with other exchanges would run stages the pipeline
 * does not have, or put a partition's keys on another partition's shard.
 */
function layoutProblem(deployed: string | undefined, pipelineName: string, stages: readonly StageShape[]): string | undefined {
  if (deployed === undefined) return undefined;
  const partitions = stages.filter((s) => s.sends).map((s) => s.partitions ?? 1);
  if (deployed === partitions.join(',')) return undefined;
  const counts = deployed.split(',').map(Number);
  return (
    `${E.EXCHANGE_PARTITIONS}=${JSON.stringify(deployed)}: the stack deployed ${exchangesOf(counts)} (StreamProcessor exchangeShardCounts), ` +
    `but the pipeline ${JSON.stringify(pipelineName)} bundled into this function has ${exchangesOf(partitions)} (keyBy/global, in order); ` +
    `deploy it with exchangeShardCounts: [${partitions.join(', ')}], or bundle the pipeline the stack was built for`
  );
}

function exchangesOf(partitions: readonly number[]): string {
  if (partitions.length === 0) return 'no exchange';
  return `${partitions.length} exchange${partitions.length === 1 ? '' : 's'} of [${partitions.join(', ')}] partitions`;
}

function stageProblems(
  d: { SLUICE_STAGE?: string; SLUICE_EXCHANGE_STREAM?: string; SLUICE_EXCHANGE_ORIGINS_STREAM?: string },
  pipelineName: string,
  stages: readonly StageShape[],
): string[] {
  const index = Number(d.SLUICE_STAGE ?? '0');
  const stage = stages[index];
  if (stage === undefined) {
    return [
      `${E.STAGE}=${JSON.stringify(d.SLUICE_STAGE)}: ${JSON.stringify(pipelineName)} has ${stages.length === 1 ? 'one stage (no keyBy/global): 0' : `${stages.length} stages: 0 to ${stages.length - 1}`}`,
    ];
  }
  const problems: string[] = [];
  if (stage.sends && d.SLUICE_EXCHANGE_STREAM === undefined)
    problems.push(
      `${E.EXCHANGE_STREAM} is not set: stage ${index} of ${JSON.stringify(pipelineName)} ends at keyBy/global and needs the exchange stream it sends to`,
    );
  if (!stage.sends && d.SLUICE_EXCHANGE_STREAM !== undefined)
    problems.push(
      `${E.EXCHANGE_STREAM}=${JSON.stringify(d.SLUICE_EXCHANGE_STREAM)}: stage ${index} of ${JSON.stringify(pipelineName)} sends to no exchange; unset it`,
    );
  if (stage.receives && d.SLUICE_EXCHANGE_ORIGINS_STREAM === undefined)
    problems.push(
      `${E.EXCHANGE_ORIGINS_STREAM} is not set: stage ${index} of ${JSON.stringify(pipelineName)} reads an exchange and needs the stream stage ${index - 1} reads, whose shards are its origins`,
    );
  if (!stage.receives && d.SLUICE_EXCHANGE_ORIGINS_STREAM !== undefined)
    problems.push(
      `${E.EXCHANGE_ORIGINS_STREAM}=${JSON.stringify(d.SLUICE_EXCHANGE_ORIGINS_STREAM)}: stage ${index} of ${JSON.stringify(pipelineName)} reads no exchange; unset it`,
    );
  return problems;
}
