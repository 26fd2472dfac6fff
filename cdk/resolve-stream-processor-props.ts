import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DEFAULT_BATCH_INTERVAL_MS } from '../lib/core/defaults';
import { ConfigError } from '../lib/core/errors';
import { checkRange, type Range } from '../lib/core/rate/check-range';
import { DEFAULT_CONTROL_INTERVAL_MS } from '../lib/runtime/controller/controller-config';
import type { StreamProcessorProps } from './stream-processor-props';
import { APP_NAME_RULE, isAppName } from '../lib/core/app-name';
import { readPipelineExchanges } from './read-pipeline-exchanges';

/** The most records per second one Kinesis shard accepts: the batch size when no static rate is set. */
export const KINESIS_SHARD_RECORDS_PER_SECOND = 1_000;

/** The event source mapping's batch size range for Kinesis. */
const BATCH_SIZE_RANGE = { min: 1, max: 10_000 } as const;

/** {@link StreamProcessorProps} with every default applied and every range checked. */
export type ResolvedStreamProcessorProps = Required<
  Omit<StreamProcessorProps, 'stream' | 'maxRatePerShard' | 'alarmAction' | 'pipeline' | 'processorEntry' | 'depsLockFilePath' | 'exchangeShardCounts'>
> &
  Pick<StreamProcessorProps, 'stream' | 'maxRatePerShard' | 'alarmAction'> & {
    /** Records per batch: one interval's allowance, clamped to what the mapping accepts. */
    readonly batchSize: number;
    /** What the processor bundles: the user's pipeline under sluice's entry, or the user's own entry; an absolute path. */
    readonly processorCode: ProcessorCode;
    /** Absolute; undefined lets NodejsFunction find the lock file from the current directory up. */
    readonly depsLockFilePath: string | undefined;
    /** Shard counts of the exchange streams, one per exchange of the pipeline (none: a single stage). */
    readonly exchangeShardCounts: readonly number[];
  };

/** The code of the processor function. */
export type ProcessorCode = { readonly kind: 'pipeline'; readonly path: string } | { readonly kind: 'entry'; readonly path: string };

/**
 * Checks the props of a {@link StreamProcessor} and applies their defaults, in this one place.
 * Throws a {@link ConfigError} naming the prop, the allowed range and the value given. Numbers and
 * names that are still tokens are left to CloudFormation, as the CDK's own constructs do.
 */
export function resolveStreamProcessorProps(props: StreamProcessorProps): ResolvedStreamProcessorProps {
  if (!isAppName(props.appName)) {
    throw new ConfigError('appName', `${APP_NAME_RULE} (given ${JSON.stringify(props.appName)})`);
  }
  if (props.stream !== undefined) {
    for (const field of ['streamName', 'streamMode', 'shardCount', 'streamRetention'] as const) {
      if (props[field] !== undefined) throw new ConfigError(field, 'configures a new stream and is not allowed with an imported `stream`');
    }
  }
  const streamMode = props.streamMode ?? StreamMode.PROVISIONED;
  if (streamMode === StreamMode.ON_DEMAND && props.shardCount !== undefined) {
    throw new ConfigError('shardCount', `is not allowed with an on-demand stream (given ${props.shardCount})`);
  }
  const batchInterval = props.batchInterval ?? Duration.millis(DEFAULT_BATCH_INTERVAL_MS);
  const maxRatePerShard = optionalNumber('maxRatePerShard', props.maxRatePerShard, { min: 1, max: 10_000 });
  const intervalSeconds = seconds('batchInterval', batchInterval, { min: 0, max: 300, integer: true });
  const code = processorCode(props);
  return {
    appName: props.appName,
    processorCode: code,
    exchangeShardCounts: exchangeShardCounts(props, code),
    depsLockFilePath:
      props.depsLockFilePath === undefined
        ? undefined
        : existingFile('depsLockFilePath', props.depsLockFilePath, 'your lock file (package-lock.json, yarn.lock, pnpm-lock.yaml)'),
    stream: props.stream,
    streamName: name('streamName', props.streamName ?? `sluice-${props.appName}`, /^[A-Za-z0-9_.-]{1,128}$/, "1-128 letters, digits, '_', '-' or '.'"),
    tableName: name('tableName', props.tableName ?? `sluice-${props.appName}`, /^[A-Za-z0-9_.-]{3,255}$/, "3-255 letters, digits, '_', '-' or '.'"),
    streamMode,
    shardCount: number('shardCount', props.shardCount ?? 1, { min: 1, max: 500, integer: true }),
    streamRetention: durationIn('streamRetention', props.streamRetention ?? Duration.hours(24), 'hours', { min: 24, max: 8_760, integer: true }),
    startingPosition: props.startingPosition ?? StartingPosition.TRIM_HORIZON,
    batchInterval,
    batchSize: batchSizeOf(maxRatePerShard ?? KINESIS_SHARD_RECORDS_PER_SECOND, intervalSeconds),
    maxRatePerShard,
    walEnabled: props.walEnabled ?? true,
    walRetentionDays: number('walRetentionDays', props.walRetentionDays ?? 7, { min: 1, max: 3_650, integer: true }),
    bucketVersioned: props.bucketVersioned ?? false,
    retryAttempts: number('retryAttempts', props.retryAttempts ?? -1, { min: -1, max: 10_000, integer: true }),
    processorMemorySize: number('processorMemorySize', props.processorMemorySize ?? 1_024, { min: 128, max: 10_240, integer: true }),
    processorTimeout: durationChecked('processorTimeout', props.processorTimeout ?? Duration.seconds(60), { min: 1, max: 900 }),
    idleTicks: props.idleTicks ?? true,
    idleTickAfter: durationChecked('idleTickAfter', props.idleTickAfter ?? Duration.minutes(1), {
      min: (intervalSeconds ?? 300) + 10,
      max: 3_600,
      integer: true,
    }),
    controlInterval: durationChecked('controlInterval', props.controlInterval ?? Duration.millis(DEFAULT_CONTROL_INTERVAL_MS), {
      min: 1,
      max: 55,
      integer: true,
    }),
    iteratorAgeAlarmThreshold: durationChecked('iteratorAgeAlarmThreshold', props.iteratorAgeAlarmThreshold ?? Duration.minutes(5), {
      min: 1,
      max: 7 * 86_400,
    }),
    alarmAction: props.alarmAction,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    sinks: props.sinks ?? [],
  };
}

/**
 * The processor's code: exactly one of `pipeline` and `processorEntry`, each resolved against the
 * current directory (the folder `cdk` runs in), as NodejsFunction resolves its `entry`.
 */
function processorCode(props: StreamProcessorProps): ProcessorCode {
  if (props.pipeline !== undefined && props.processorEntry !== undefined) {
    throw new ConfigError(
      'processorEntry',
      'is not allowed with `pipeline`: give your pipeline module, or an entry of your own that exports `handler`, not both',
    );
  }
  if (props.processorEntry !== undefined)
    return {
      kind: 'entry',
      path: existingFile('processorEntry', props.processorEntry, 'an entry file that exports `handler = createProcessorHandler(yourPipeline)`'),
    };
  if (props.pipeline === undefined) {
    throw new ConfigError('pipeline', "is required: the path of your pipeline module, relative to the folder cdk runs in (e.g. pipeline: 'src/pipeline.ts')");
  }
  return { kind: 'pipeline', path: existingFile('pipeline', props.pipeline, 'your pipeline module (export default pipeline(...))') };
}

/**
 * The exchanges of the pipeline (read at synth time), checked against `exchangeShardCounts`. An
 * entry's pipeline cannot be read: its `exchangeShardCounts` is taken as given (each a possible
 * `keyBy({ partitions })`), and its functions check it against their pipeline at cold start.
 */
function exchangeShardCounts(props: StreamProcessorProps, code: ProcessorCode): readonly number[] {
  if (code.kind === 'entry') {
    const given = props.exchangeShardCounts ?? [];
    given.forEach((count, i) => checkRange(`exchangeShardCounts[${i}]`, count, { min: 1, max: 1_024, integer: true }));
    return given;
  }
  const { partitions } = readPipelineExchanges(code.path);
  const given = props.exchangeShardCounts;
  if (given === undefined) return partitions;
  if (given.length !== partitions.length)
    throw new ConfigError('exchangeShardCounts', `gives ${given.length} shard counts, but the pipeline has ${partitions.length} exchanges (keyBy/global)`);
  given.forEach((count, i) => {
    if (count !== partitions[i])
      throw new ConfigError(
        `exchangeShardCounts[${i}]`,
        `is ${count}, but exchange ${i} has ${partitions[i]} partitions (keyBy({ partitions })): an exchange stream has one shard per partition; change one to match the other`,
      );
  });
  return given;
}

function existingFile(field: string, path: string, what: string): string {
  const absolute = resolve(path);
  if (!existsSync(absolute))
    throw new ConfigError(field, `no such file: ${path} (resolved against ${process.cwd()}); give the path of ${what} relative to the folder cdk runs in`);
  return absolute;
}

/**
 * An interval's allowance at `ratePerSecond`, at least 1 and at most the mapping's maximum. A zero
 * interval (invoke as soon as records arrive) still gets one second's allowance.
 */
function batchSizeOf(ratePerSecond: number, intervalSeconds: number | undefined): number {
  if (Token.isUnresolved(ratePerSecond) || intervalSeconds === undefined) return BATCH_SIZE_RANGE.max;
  const allowance = Math.ceil(ratePerSecond * Math.max(intervalSeconds, 1));
  return Math.min(BATCH_SIZE_RANGE.max, Math.max(BATCH_SIZE_RANGE.min, allowance));
}

function name(field: string, value: string, pattern: RegExp, rule: string): string {
  if (Token.isUnresolved(value) || pattern.test(value)) return value;
  throw new ConfigError(field, `must be ${rule} (given ${JSON.stringify(value)})`);
}

function number(field: string, value: number, range: Range): number {
  return Token.isUnresolved(value) ? value : checkRange(field, value, range);
}

function optionalNumber(field: string, value: number | undefined, range: Range): number | undefined {
  return value === undefined ? undefined : number(field, value, range);
}

/** Whole or fractional seconds of `value`, checked; undefined when it is a token. */
function seconds(field: string, value: Duration, range: Range): number | undefined {
  if (value.isUnresolved()) return undefined;
  const asSeconds = value.toMilliseconds() / 1_000;
  checkRange(`${field} (seconds)`, asSeconds, range);
  return asSeconds;
}

function durationChecked(field: string, value: Duration, range: Range): Duration {
  seconds(field, value, range);
  return value;
}

function durationIn(field: string, value: Duration, unit: 'hours', range: Range): Duration {
  if (!value.isUnresolved()) checkRange(`${field} (${unit})`, value.toMilliseconds() / 3_600_000, range);
  return value;
}
