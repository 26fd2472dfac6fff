import type { ProcessorSink } from './processor-sink';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IStream, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import type { StartingPosition } from 'aws-cdk-lib/aws-lambda';

/**
 * Properties of {@link StreamProcessor}. Flat, in the vocabulary of the services they configure;
 * every optional one states its default. Ranges are checked in the constructor.
 */
export interface StreamProcessorProps {
  /**
   * The pipeline's name, as given to `pipeline(name)`: the partition of its checkpoints, the prefix
   * of its WAL objects and the `service` dimension of its metrics. The processor checks at cold
   * start that the pipeline bundled into it has this name.
   *
   * Valid range: 1-40 lowercase letters, digits or '-', starting with a letter or digit.
   */
  readonly appName: string;

  /**
   * Your pipeline module: a file whose default export is the pipeline (`export default
   * pipeline('clicks')...`), TypeScript or JavaScript. A relative path is resolved against the
   * current directory (the folder `cdk` runs in), as NodejsFunction resolves its `entry`. The
   * processor bundles it with sluice's handler (`createProcessorHandler`), by esbuild on your
   * machine, with your lock file's dependencies.
   *
   * Exactly one of `pipeline` and `processorEntry` is given.
   *
   * @example 'src/pipeline.ts'
   */
  readonly pipeline?: string;

  /**
   * An entry file of your own for the processor, exporting
   * `handler = createProcessorHandler(yourPipeline, deps)` (from `sluice/lambda`): for a handler
   * built from other dependencies than the defaults. Resolved like `pipeline`.
   *
   * The construct cannot read the exchanges of the pipeline in an entry: a pipeline with `keyBy` or
   * `global` needs `exchangeShardCounts`, from which every stage gets a function bundling this same
   * entry. Without it the construct deploys a single stage, and a pipeline with exchanges fails at
   * cold start.
   *
   * @default - sluice's entry around `pipeline`
   */
  readonly processorEntry?: string;

  /**
   * Your project's lock file, which the bundles' dependency versions come from; its folder is the
   * project root esbuild runs in.
   *
   * @default - the package-lock.json, yarn.lock, pnpm-lock.yaml or bun.lock found from the current
   * directory up, as NodejsFunction finds it
   */
  readonly depsLockFilePath?: string;

  /**
   * An existing stream to read. The construct then creates no stream and grants the processor read
   * access to this one (and decrypt on its key, if any).
   *
   * @default - a new stream, see `streamMode`, `shardCount`, `streamRetention`
   */
  readonly stream?: IStream;

  /**
   * Name of the new stream. Not allowed with `stream`.
   *
   * Valid range: 1-128 letters, digits, '_', '-' or '.'.
   *
   * @default `sluice-${appName}` - the name `sluice push --app` and local AWS mode use
   */
  readonly streamName?: string;

  /**
   * Capacity mode of the new stream. Not allowed with `stream`.
   *
   * @default StreamMode.PROVISIONED
   */
  readonly streamMode?: StreamMode;

  /**
   * Shards of the new provisioned stream. Not allowed with `stream` or an on-demand stream.
   *
   * Valid range: 1-500 (the default shard quota of an account in most regions).
   *
   * @default 1
   */
  readonly shardCount?: number;

  /**
   * How long Kinesis keeps records. Replays beyond it come from the WAL. Not allowed with `stream`.
   *
   * Valid range: 24-8760 hours.
   *
   * @default Duration.hours(24)
   */
  readonly streamRetention?: Duration;

  /**
   * Name of the checkpoint table. Table names are per account and region, so two deployments of
   * one app in a region need different names.
   *
   * Valid range: 3-255 letters, digits, '_', '-' or '.'.
   *
   * @default `sluice-${appName}` - the table `sluice push` (published rates) and `sluice status` read
   */
  readonly tableName?: string;

  /**
   * Where the event source mapping starts reading a shard that has no checkpoint yet.
   *
   * @default StartingPosition.TRIM_HORIZON - a new mapping takes minutes to start polling, and
   * LATEST would skip what producers pushed meanwhile.
   */
  readonly startingPosition?: StartingPosition;

  /**
   * The batch interval: how long the event source mapping gathers records before it invokes the
   * processor (`MaximumBatchingWindowInSeconds`), and the interval of the batch size below.
   *
   * Valid range: 0-300 seconds, whole seconds.
   *
   * @default Duration.seconds(1) - see DEFAULT_BATCH_INTERVAL_MS
   */
  readonly batchInterval?: Duration;

  /**
   * Static rate limit per shard, records per second (Spark's `receiver.maxRate`). The processor
   * defers records over it; the controller's published rate applies too when it is lower.
   * The mapping's batch size is this rate times the batch interval, so one batch never holds
   * more than an interval's allowance.
   *
   * Valid range: 1-10000 records per second.
   *
   * @default - no static limit; the batch size then assumes 1000 records/s, the most a shard accepts
   */
  readonly maxRatePerShard?: number;

  /**
   * Write each batch to the WAL before running it. Off, state stays exactly-once but outputs become
   * at-least-once (docs/architecture.md §5).
   *
   * @default true
   */
  readonly walEnabled?: boolean;

  /**
   * Days after which WAL objects (`wal/` prefix) expire. Replays reach back this far.
   *
   * Valid range: 1-3650 days.
   *
   * @default 7
   */
  readonly walRetentionDays?: number;

  /**
   * Keep old versions of bucket objects. Noncurrent versions then expire after `walRetentionDays`.
   *
   * @default false - WAL objects are create-only, so versions add cost and no safety
   */
  readonly bucketVersioned?: boolean;

  /**
   * Times the event source mapping retries a batch before it gives up on it, sends it (records
   * included) to the bucket's `aws/lambda/` prefix and moves on. A failing batch is bisected first.
   *
   * A bound trades exactly-once for liveness: the processor defers records over the rate limit by
   * reporting them as batch item failures, which count as retries, so a long throttle can exhaust a
   * bound and divert records that were never committed. Poison records do not need a bound: the
   * processor quarantines them and carries on.
   *
   * Valid range: -1 (retry until the batch succeeds or its records expire) or 0-10000.
   *
   * @default -1
   */
  readonly retryAttempts?: number;

  /**
   * Memory of the processor function, MiB. Lambda allots CPU in proportion.
   *
   * Valid range: 128-10240.
   *
   * @default 1024
   */
  readonly processorMemorySize?: number;

  /**
   * Timeout of the processor function.
   *
   * Valid range: 1-900 seconds.
   *
   * @default Duration.seconds(60)
   */
  readonly processorTimeout?: Duration;

  /**
   * How often the controller recomputes the rates within one scheduled invocation (EventBridge fires
   * at most once a minute, so one invocation loops for about 55 s).
   *
   * Valid range: 1-55 seconds, whole seconds.
   *
   * @default Duration.seconds(5) - the controller's own default (DEFAULT_CONTROL_INTERVAL_MS)
   */
  readonly controlInterval?: Duration;

  /**
   * Idle ticks (docs/decisions/0007): the controller asks the processor to tick a shard that committed
   * nothing for `idleTickAfter` while its arrival-time windows hold data, so those windows close on a
   * quiet shard as they do in Spark. A pipeline without such windows never gets one.
   *
   * @default true
   */
  readonly idleTicks?: boolean;

  /**
   * How long a shard commits nothing before it counts as quiet. It must exceed how long a record can
   * wait for its delivery, so that none still to come arrived before the tick's idle time.
   *
   * Valid range: the batch interval + 10 seconds to 60 minutes, whole seconds.
   *
   * @default Duration.minutes(1)
   */
  readonly idleTickAfter?: Duration;

  /**
   * Iterator age above which the iterator-age alarm fires: how far the processor lags behind.
   *
   * Valid range: 1 second to 7 days.
   *
   * @default Duration.minutes(5)
   */
  readonly iteratorAgeAlarmThreshold?: Duration;

  /**
   * Action every alarm takes when it fires and when it recovers (an SNS topic, for example).
   *
   * @default - alarms show on the dashboard and in the console only
   */
  readonly alarmAction?: IAlarmAction;

  /**
   * What happens to the table and the bucket (and a new stream) when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN - checkpoints and the WAL outlive the stack
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The destinations of the pipeline's `sluice/sinks`: the processor is granted exactly the actions
   * each sink calls, on that resource only, and gets its name in `environmentVariable` if asked.
   *
   * @default - no sink resource: a pipeline writing elsewhere gets no permission for it
   */
  readonly sinks?: readonly ProcessorSink[];

  /**
   * A pipeline with exchanges (`keyBy`, `global`, docs/decisions/0015) runs one processor function
   * and event source mapping per stage, stage i+1 reading a Kinesis exchange stream stage i puts
   * to. The construct reads the exchanges off `pipeline` at synth time; each stream gets one shard
   * per partition (partition p is the p-th open shard). Give the shard counts here to state them in
   * the stack: each must equal its exchange's partitions, or synth fails naming both.
   *
   * With `processorEntry`, whose exchanges the construct cannot read, this is the layout: the
   * partitions of each exchange of the entry's pipeline, in order (`[4, 1]` for `keyBy({ partitions:
   * 4 })` then `global()`), and the construct builds the stages from it as it would from `pipeline`.
   * Each function is told the layout (`SLUICE_EXCHANGE_PARTITIONS`) and checks it against the
   * pipeline bundled in at cold start: another number of exchanges or of partitions fails there, in
   * one line naming both.
   *
   * Valid range (with `processorEntry`): integers from 1 to 1024, as `keyBy({ partitions })`.
   *
   * @default - each exchange's `partitions`; with `processorEntry`, none (a single stage)
   */
  readonly exchangeShardCounts?: readonly number[];
}
