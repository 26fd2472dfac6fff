import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Stream, StreamEncryption, StreamMode, type IStream } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { StorageKeys } from '../lib/runtime/protocol/storage-keys';
import { stageApp } from '../lib/core/engine/compile-stages';
import { checkpointTable } from './checkpoint-table';
import { FunctionEntries } from './function-entries';
import { ControllerEnvironment, ProcessorEnvironment } from '../lib/runtime/lambda/function-environment';
import { bucketOnFailure, ON_FAILURE_PREFIX } from './bucket-on-failure';
import { resolveStreamProcessorProps } from './resolve-stream-processor-props';
import { SluiceFunction } from './sluice-function';
import { SluiceMetrics } from './sluice-metrics';
import { StreamProcessorMonitoring } from './stream-processor-monitoring';
import type { StreamProcessorProps } from './stream-processor-props';
import { suppressStreamProcessorFindings } from './suppress-stream-processor-findings';
import { WAL_PREFIX, walBucket } from './wal-bucket';

/** A controller invocation loops for about 55 s; the rest is room for its last write. */
const CONTROLLER_TIMEOUT = Duration.seconds(70);

/**
 * A sluice pipeline deployed on AWS: the Kinesis stream (created or imported), the checkpoint table,
 * the WAL bucket, the processor with its event source mapping, the controller with its schedule,
 * and a dashboard with alarms (for every stage of a pipeline with exchanges).
 *
 * The processor bundles your pipeline module (`pipeline`, resolved like NodejsFunction's `entry`)
 * under sluice's handler, with esbuild on your machine (never Docker, so `cdk synth` works offline)
 * and your lock file. Each function's role holds only the actions its code calls, on this
 * construct's resources.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import { StreamProcessor } from 'sluice/cdk';
 *
 * const stack = new Stack(new App(), 'Clicks');
 * new StreamProcessor(stack, 'Clicks', {
 *   appName: 'clicks',             // the name given to pipeline('clicks')
 *   pipeline: 'src/clicks.ts',     // export default pipeline('clicks')...
 *   shardCount: 4,
 *   maxRatePerShard: 500,
 *   batchInterval: Duration.seconds(1),
 * });
 */
export class StreamProcessor extends Construct {
  /** The app (pipeline) name: partition of its checkpoints, prefix of its objects, metrics dimension. */
  readonly appName: string;
  readonly stream: IStream;
  readonly table: Table;
  readonly bucket: Bucket;
  /** Stage 0's processor: the only one of a pipeline without exchanges. */
  readonly processor: SluiceFunction;
  /** Stage 0's controller. */
  readonly controller: SluiceFunction;
  /** One controller per stage, stage 0 first. */
  readonly controllers: readonly SluiceFunction[];
  /** Stage 0's event source mapping: `eventSourceMappingId` is what the controller retunes. */
  readonly eventSource: KinesisEventSource;
  /** Every stage, stage 0 first: one for a pipeline without `keyBy`/`global`. */
  readonly stages: readonly StageResources[];
  /** The exchange streams, one per `keyBy`/`global`: stage i puts to `exchangeStreams[i]`. */
  readonly exchangeStreams: readonly Stream[];
  /** Stage 0's controller schedule. */
  readonly schedule: Rule;
  readonly monitoring: StreamProcessorMonitoring;

  constructor(scope: Construct, id: string, props: StreamProcessorProps) {
    super(scope, id);
    const p = resolveStreamProcessorProps(props);
    const app = p.appName;
    this.appName = app;

    this.stream =
      p.stream ??
      new Stream(this, 'Stream', {
        streamName: p.streamName,
        streamMode: p.streamMode,
        ...(p.streamMode === 'PROVISIONED' ? { shardCount: p.shardCount } : {}),
        retentionPeriod: p.streamRetention,
        encryption: StreamEncryption.MANAGED,
        removalPolicy: p.removalPolicy,
      });
    this.table = checkpointTable(this, 'Checkpoints', p.tableName, p.removalPolicy);
    this.bucket = walBucket(this, 'Bucket', { walRetentionDays: p.walRetentionDays, versioned: p.bucketVersioned, removalPolicy: p.removalPolicy });

    const batchingWindowSeconds = p.batchInterval.toSeconds();
    const code = p.processorCode;
    // A pipeline with exchanges (docs/decisions/0015): one exchange stream per exchange, one shard
    // per partition, and one processor and mapping per stage; stage i+1 reads what stage i puts.
    const staged = p.exchangeShardCounts.length > 0;
    this.exchangeStreams = p.exchangeShardCounts.map(
      (shardCount, i) =>
        new Stream(this, `Exchange${i + 1}`, {
          streamName: `sluice-${stageApp(app, i + 1)}`,
          streamMode: StreamMode.PROVISIONED,
          shardCount,
          retentionPeriod: p.streamRetention,
          encryption: StreamEncryption.MANAGED,
          removalPolicy: p.removalPolicy,
        }),
    );
    const streamOf = (stage: number): IStream => (stage === 0 ? this.stream : this.exchangeStreams[stage - 1]!);
    const stages: StageResources[] = [];
    for (let stage = 0; stage <= p.exchangeShardCounts.length; stage++) {
      const stageName = stageApp(app, stage);
      const sendsTo = stage < this.exchangeStreams.length ? this.exchangeStreams[stage] : undefined;
      const processor = new SluiceFunction(this, stage === 0 ? 'Processor' : `ProcessorS${stage}`, {
        entry: code.kind === 'entry' ? code.path : FunctionEntries.processor,
        ...(code.kind === 'pipeline' ? { alias: { 'sluice-pipeline': code.path } } : {}),
        ...(p.depsLockFilePath === undefined ? {} : { depsLockFilePath: p.depsLockFilePath }),
        description: staged
          ? `sluice ${app}: runs stage ${stage} (app ${stageName}), one micro-batch of one shard per invocation`
          : `sluice ${app}: runs one micro-batch of one shard per invocation`,
        memorySize: p.processorMemorySize,
        timeout: p.processorTimeout,
        removalPolicy: p.removalPolicy,
        environment: {
          [ProcessorEnvironment.APP_NAME]: app,
          [ProcessorEnvironment.PIPELINE]: app,
          [ProcessorEnvironment.TABLE_NAME]: this.table.tableName,
          [ProcessorEnvironment.BUCKET_NAME]: this.bucket.bucketName,
          [ProcessorEnvironment.WAL_ENABLED]: String(p.walEnabled),
          [ProcessorEnvironment.BATCHING_WINDOW_SECONDS]: String(batchingWindowSeconds),
          [ProcessorEnvironment.METRICS_NAMESPACE]: SluiceMetrics.NAMESPACE,
          ...(p.maxRatePerShard === undefined || stage > 0 ? {} : { [ProcessorEnvironment.MAX_RATE_PER_SHARD]: String(p.maxRatePerShard) }),
          ...(staged ? { [ProcessorEnvironment.STAGE]: String(stage) } : {}),
          ...(sendsTo === undefined ? {} : { [ProcessorEnvironment.EXCHANGE_STREAM]: sendsTo.streamName }),
          ...(stage === 0 ? {} : { [ProcessorEnvironment.EXCHANGE_ORIGINS_STREAM]: streamOf(stage - 1).streamName }),
          // An entry's exchanges were taken on trust: its pipeline must have these, checked at cold start.
          ...(staged && code.kind === 'entry' ? { [ProcessorEnvironment.EXCHANGE_PARTITIONS]: p.exchangeShardCounts.join(',') } : {}),
        },
      });
      this.#grantProcessor(processor, stageName);
      // A sending stage puts its chunks with explicit hash keys, after listing the partitions' shards.
      if (sendsTo !== undefined)
        processor.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kinesis:PutRecords', 'kinesis:ListShards'], resources: [sendsTo.streamArn] }));
      // A receiving stage lists its origins: the shards of the stream the previous stage reads.
      if (stage > 0) processor.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kinesis:ListShards'], resources: [streamOf(stage - 1).streamArn] }));
      // The pipeline's sinks (sluice/sinks): exactly what each calls, on its resource only; any stage may write them.
      for (const sink of p.sinks) {
        for (const [name, value] of Object.entries(sink._bind(processor.role, stageName))) processor.function.addEnvironment(name, value);
      }
      const eventSource = new KinesisEventSource(streamOf(stage), {
        // An exchange stream is read from its start: every chunk sent must be applied.
        startingPosition: stage === 0 ? p.startingPosition : StartingPosition.TRIM_HORIZON,
        batchSize: p.batchSize,
        maxBatchingWindow: p.batchInterval,
        parallelizationFactor: 1,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: p.retryAttempts,
        onFailure: bucketOnFailure(this.bucket),
      });
      processor.function.addEventSource(eventSource);
      stages.push({ appName: stageName, stream: streamOf(stage), processor, eventSource });
    }
    this.stages = stages;
    this.processor = stages[0]!.processor;
    this.eventSource = stages[0]!.eventSource;

    // One controller per stage (each an app of its own): rates and the mapping's batch size for its
    // shards; idle ticks only for stage 0, whose ticks carry time through the exchanges.
    const controllers: SluiceFunction[] = [];
    const schedules: Rule[] = [];
    for (const [stage, { appName: stageName, processor, eventSource }] of stages.entries()) {
      const ticks = p.idleTicks && stage === 0;
      const controller = new SluiceFunction(this, stage === 0 ? 'Controller' : `ControllerS${stage}`, {
        entry: FunctionEntries.controller,
        ...(p.depsLockFilePath === undefined ? {} : { depsLockFilePath: p.depsLockFilePath }),
        description: `sluice ${stageName}: computes and publishes each shard's rate (PID), retunes the event source mapping`,
        memorySize: 256,
        timeout: CONTROLLER_TIMEOUT,
        removalPolicy: p.removalPolicy,
        environment: {
          [ControllerEnvironment.APP]: app,
          ...(staged ? { [ControllerEnvironment.STAGE]: String(stage) } : {}),
          [ControllerEnvironment.TABLE_NAME]: this.table.tableName,
          [ControllerEnvironment.EVENT_SOURCE_MAPPING_ID]: eventSource.eventSourceMappingId,
          [ControllerEnvironment.CONTROL_INTERVAL_MS]: String(p.controlInterval.toMilliseconds()),
          [ControllerEnvironment.BATCH_INTERVAL_MS]: String(p.batchInterval.toMilliseconds()),
          ...(p.maxRatePerShard === undefined || stage > 0 ? {} : { [ControllerEnvironment.MAX_RATE_PER_SHARD]: String(p.maxRatePerShard) }),
          ...(ticks
            ? {
                [ControllerEnvironment.PROCESSOR_FUNCTION_NAME]: processor.function.functionName,
                [ControllerEnvironment.IDLE_TICK_AFTER_MS]: String(p.idleTickAfter.toMilliseconds()),
              }
            : {}),
        },
      });
      // Reads shard stats (Query, GetItem) and writes its own control items with conditional Puts;
      // the checkpoint store never sends UpdateItem.
      controller.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'],
          resources: [this.table.tableArn],
        }),
      );
      controller.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
          resources: [eventSource.eventSourceMappingArn],
        }),
      );
      if (ticks) {
        // Idle ticks: an asynchronous Invoke of this processor only (not grantInvoke, whose `:*` would be a wildcard).
        controller.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [processor.function.functionArn] }));
      }
      // EventBridge cannot fire more often than once a minute; the controller loops within the minute.
      schedules.push(
        new Rule(this, stage === 0 ? 'ControllerSchedule' : `ControllerScheduleS${stage}`, {
          description: `sluice ${stageName}: starts the controller every minute`,
          schedule: Schedule.rate(Duration.minutes(1)),
          // A missed tick is replaced by the next one a minute later: retrying it would overlap.
          targets: [new LambdaFunction(controller.function, { retryAttempts: 0 })],
        }),
      );
      controllers.push(controller);
    }
    this.controller = controllers[0]!;
    this.controllers = controllers;
    this.schedule = schedules[0]!;

    this.monitoring = new StreamProcessorMonitoring(this, 'Monitoring', {
      appName: app,
      stream: this.stream,
      processor: this.processor.function,
      controller: this.controller.function,
      controllerLogGroup: this.controller.logGroup,
      iteratorAgeAlarmThreshold: p.iteratorAgeAlarmThreshold,
      laterStages: stages.slice(1).map(({ appName: stageName, stream, processor }, i) => ({
        appName: stageName,
        stream,
        processor: processor.function,
        controller: controllers[i + 1]!.function,
        controllerLogGroup: controllers[i + 1]!.logGroup,
      })),
      ...(p.alarmAction === undefined ? {} : { alarmAction: p.alarmAction }),
    });
    suppressStreamProcessorFindings(this);
  }

  /** What a stage's processor calls on the table and the bucket, for the stage's app `app` only. */
  #grantProcessor(processor: SluiceFunction, app: string): void {
    // The checkpoint store's calls: get → GetItem, query → Query, and the fenced commit, one
    // TransactWriteItems of conditional Puts and ConditionChecks, which IAM authorizes item by item
    // (there is no TransactWriteItems action). The state's bytes are objects in the bucket (below).
    processor.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
        resources: [this.table.tableArn],
      }),
    );
    processor.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    processor.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject'],
        // Only this app's WAL and quarantine keys (lib/runtime/protocol/storage-keys.ts).
        resources: [this.bucket.arnForObjects(`${WAL_PREFIX}${app}/*`), this.bucket.arnForObjects(`${StorageKeys.quarantinePrefix(app)}*`)],
      }),
    );
    // The state's snapshots and deltas (docs/decisions/0008): written create-only, read by new
    // containers, and deleted once a newer snapshot's commit supersedes them.
    processor.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [this.bucket.arnForObjects(`${StorageKeys.statePrefix(app)}*`)],
      }),
    );
    // Lambda writes a batch that exhausted its retries with the function's role.
    processor.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(`${ON_FAILURE_PREFIX}*`)] }));
  }
}

/** One stage of the pipeline as deployed: its app, the stream it reads, its processor and mapping. */
export interface StageResources {
  /** `{appName}.s{i}`; stage 0 is the app itself. */
  readonly appName: string;
  /** The source stream for stage 0, the exchange stream stage i-1 puts to otherwise. */
  readonly stream: IStream;
  readonly processor: SluiceFunction;
  readonly eventSource: KinesisEventSource;
}
