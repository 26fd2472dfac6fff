import { z } from 'zod';
import { ConfigError } from '../../core/errors';

/** The processor function's configuration, read from its environment once per container. */
export interface ProcessorConfig {
  /** Names the app's items and objects. */
  readonly app: string;
  readonly tableName: string;
  readonly bucketName: string;
  readonly walEnabled: boolean;
  /** Static limit per shard, records/s; `undefined` = none (a published rate may still apply). */
  readonly maxRatePerShard: number | undefined;
  /** The ESM's MaximumBatchingWindowInSeconds, in ms: the part of a batch's wait that is by design. */
  readonly batchingWindowMs: number;
}

/** Variables an empty string counts as unset for: CloudFormation writes `''` for an omitted value. */
const blank = (value: unknown): unknown => (value === '' ? undefined : value);

const schema = z.object({
  APP_NAME: z.preprocess(blank, z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (it is part of every key)').optional()),
  TABLE_NAME: z.preprocess(blank, z.string({ error: 'is required: the DynamoDB checkpoint table' }).regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name: 3-255 letters, digits, "_", "-" or "."')),
  BUCKET_NAME: z.preprocess(blank, z.string({ error: 'is required: the S3 bucket of the WAL and quarantine' }).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name: 3-63 lowercase letters, digits, "." or "-"')),
  WAL_ENABLED: z.preprocess(blank, z.enum(['true', 'false'], { error: 'must be "true" or "false"' }).default('true')),
  MAX_RATE_PER_SHARD: z.preprocess(blank, z.string().regex(/^\d+(\.\d+)?$/, { error: 'must be a number of records per second > 0', abort: true }).refine((v) => Number(v) > 0, 'must be > 0 records per second').optional()),
  BATCHING_WINDOW_SECONDS: z.preprocess(blank, z.string().regex(/^\d+$/, { error: 'must be whole seconds from 0 to 300 (the ESM MaximumBatchingWindowInSeconds)', abort: true }).refine((v) => Number(v) <= 300, 'must be at most 300 seconds (the ESM maximum)').default('0')),
  PIPELINE: z.preprocess(blank, z.string().optional()),
});

/**
 * Reads and checks the processor's environment. Every problem is reported at once, each naming the
 * variable, the value found and the rule, in one `ConfigError`:
 *
 * - `APP_NAME` (default: the pipeline's name), `TABLE_NAME`, `BUCKET_NAME`;
 * - `WAL_ENABLED` (`true`/`false`, default `true`), `MAX_RATE_PER_SHARD` (records/s, default none),
 *   `BATCHING_WINDOW_SECONDS` (the ESM's window, default 0; see {@link invocationDelays});
 * - `PIPELINE`: the pipeline bundled into the function is fixed at build time; when set, this must
 *   be its name, so a function deployed with the wrong bundle fails at cold start, not in the state.
 */
export function loadProcessorConfig(env: Readonly<Record<string, string | undefined>>, pipelineName: string): ProcessorConfig {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return `${name}${env[name] === undefined || env[name] === '' ? ' is not set' : `=${JSON.stringify(env[name])}`}: ${issue.message.replace(/^is required: /, 'required, ')}`;
  });
  if (parsed.success && parsed.data.PIPELINE !== undefined && parsed.data.PIPELINE !== pipelineName) {
    problems.push(`PIPELINE=${JSON.stringify(parsed.data.PIPELINE)}: must name the pipeline bundled into this function, which is ${JSON.stringify(pipelineName)}`);
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError('environment', problems.join('; '));
  const data = parsed.data;
  return {
    app: data.APP_NAME ?? pipelineName,
    tableName: data.TABLE_NAME,
    bucketName: data.BUCKET_NAME,
    walEnabled: data.WAL_ENABLED === 'true',
    maxRatePerShard: data.MAX_RATE_PER_SHARD === undefined ? undefined : Number(data.MAX_RATE_PER_SHARD),
    batchingWindowMs: Number(data.BATCHING_WINDOW_SECONDS) * 1000,
  };
}
