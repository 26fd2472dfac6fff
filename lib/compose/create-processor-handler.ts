import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { getHeapStatistics } from 'node:v8';
import { createAwsClients, type AwsClients } from '../adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../adapters/aws/dynamodb-checkpoint-store';
import { EmfMetrics } from '../adapters/aws/emf-metrics';
import { S3ObjectStore } from '../adapters/aws/s3-object-store';
import { SystemClock } from '../adapters/local/system-clock';
import type { BatchStats } from '../core/batch-stats';
import type { CompiledPipeline } from '../core/engine/compile-pipeline';
import { compileStages, type StagedPipeline } from '../core/engine/compile-stages';
import { KinesisExchangeWriter } from '../adapters/aws/kinesis-exchange';
import { listHashRanges } from '../adapters/aws/list-hash-ranges';
import { KinesisSource, streamNameOf } from '../adapters/aws/kinesis-source';
import type { Source } from '../ports/source';
import { streamLineage, whatFollows } from '../runtime/lambda/shard-lineage';
import { StorageKeys } from '../runtime/protocol/storage-keys';
import type { ExchangeWriter } from '../ports/exchange';
import { DEFAULT_BATCH_INTERVAL_MS } from '../core/defaults';
import { ConfigError, SluiceError, StateLimitError } from '../core/errors';
import { Stream } from '../core/pipeline/stream';
import { compareSeq, kinesisSeqOf, type SourceRecord } from '../core/source-record';
import type { CheckpointStore } from '../ports/checkpoint-store';
import type { Clock } from '../ports/clock';
import type { Metrics } from '../ports/metrics';
import type { ObjectStore } from '../ports/object-store';
import type { OutputSink } from '../ports/output-sink';
import { allowanceScheduleGate } from '../runtime/rate-gates/allowance-schedule-gate';
import { BatchRetryPolicy } from '../runtime/failures/batch-retry-policy';
import { checkAppSource } from '../runtime/protocol/check-app-source';
import { readCheckpoint } from '../runtime/protocol/checkpoint-record';
import { MicroBatchProcessor } from '../runtime/protocol/micro-batch-processor';
import { StateBudget } from '../runtime/protocol/state/state-budget';
import { decodeKinesisEvent } from '../runtime/lambda/decode-kinesis-event';
import { decodeIdleTickEvent, type IdleTickEvent } from '../core/idle-tick-event';
import { invocationDelays } from '../runtime/lambda/invocation-delays';
import { LoggerOutputSink } from '../adapters/aws/logger-output-sink';
import { setAsideUndecodable } from '../runtime/lambda/set-aside-undecodable';
import { loadProcessorConfig, type ProcessorConfig } from '../runtime/lambda/processor-config';
import { ProcessorEnvironment } from '../runtime/lambda/function-environment';

/** What a processor handler is built from besides its pipeline; each default is what Lambda uses. */
export interface ProcessorHandlerDeps {
  /** Variables named in {@link loadProcessorConfig}. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default createAwsClients() (honours AWS_ENDPOINT_URL) */
  readonly clients?: AwsClients;
  /** @default a DynamoDbCheckpointStore on TABLE_NAME */
  readonly checkpoints?: CheckpointStore;
  /** @default an S3ObjectStore on BUCKET_NAME */
  readonly objects?: ObjectStore;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default a Powertools Logger with the app as service name */
  readonly logger?: Logger;
  /** @default EMF through Powertools Metrics */
  readonly metrics?: Metrics;
  /** Where `print()` goes. @default the logger */
  readonly output?: OutputSink;
  /** The memory a shard's state may take. @default a share of this process's heap (see StateBudget) */
  readonly stateBudget?: StateBudget;
  /** A sending stage's exchange. @default a KinesisExchangeWriter on SLUICE_EXCHANGE_STREAM */
  readonly exchangeWriter?: ExchangeWriter;
  /** A stream the stage reads, by ARN: a source stage's idle ticks find closed shards and their children there, a receiving stage a new shard's parents. @default a KinesisSource */
  readonly sourceOf?: (streamArn: string) => Source;
}

/**
 * A Kinesis handler for Lambda (or the local ESM): the batch response reports deferred records only.
 * It also takes the controller's {@link IdleTickEvent}, which runs an idle tick of one shard.
 */
export type ProcessorHandler = ((event: KinesisStreamEvent | IdleTickEvent, context?: Context) => Promise<KinesisStreamBatchResponse>) & {
  /** The configuration read at cold start. */
  readonly config: ProcessorConfig;
};

/**
 * Builds the processor function for `pipeline`. Everything slow or fallible happens here, once per
 * container (cold start): the environment is validated, the pipeline compiled, the SDK clients and
 * adapters built. The {@link MicroBatchProcessor} lives as long as the container, so its warm state
 * cache makes a batch cost one read, one WAL put and one commit.
 *
 * Per invocation: decode the event, run the micro-batch protocol, and answer `batchItemFailures`
 * with ONE entry — the first record the rate limit deferred — so the ESM redelivers from there
 * (`ReportBatchItemFailures` must be on). Errors are thrown, never swallowed: the ESM then retries
 * the batch, and every record already committed is dropped as a redelivery. A batch that keeps
 * failing is quarantined after `MAX_BATCH_ATTEMPTS` attempts (transient and configuration
 * errors excepted), so the mapping's own retry limit should stay above that, or unlimited: a
 * mapping that discards a batch skips records sluice never saw.
 *
 * A pipeline with exchanges (keyBy/global, docs/decisions/0015) runs one stage per function:
 * `SLUICE_STAGE` picks it, and the stage is the app `{APP_NAME}.s{i}`. A sending stage puts its
 * chunks on `SLUICE_EXCHANGE_STREAM` after its sinks and before its commit, and its idle ticks send
 * progress markers there. A receiving stage's records are the previous stage's chunks, de-duplicated
 * per origin by the processor; its origins are the open shards of `SLUICE_EXCHANGE_ORIGINS_STREAM`,
 * listed at the container's first invocation. A stack the construct built from `exchangeShardCounts`
 * (a `processorEntry` of your own) also sets `SLUICE_EXCHANGE_PARTITIONS`: a pipeline whose exchanges
 * differ from it fails here, at cold start, in one line naming both.
 *
 * @example
 * export const handler = createProcessorHandler(pipeline('clicks').map(JSON.parse).countByValue());
 */
export function createProcessorHandler<T>(pipeline: Stream<T> | CompiledPipeline | StagedPipeline, deps: ProcessorHandlerDeps = {}): ProcessorHandler {
  const staged: StagedPipeline =
    pipeline instanceof Stream ? compileStages(pipeline as Stream<unknown>) : 'stages' in pipeline ? pipeline : { name: pipeline.name, stages: [pipeline] };
  const shapes = staged.stages.map((s) => ({ sends: s.sends !== undefined, receives: s.receives === true, partitions: s.sends?.partitions }));
  const config = loadProcessorConfig(deps.env ?? process.env, staged.name, shapes);
  // The stage this function runs (docs/decisions/0015): an ordinary app under its own name.
  const compiled = staged.stages[config.stage]!;
  const logger = deps.logger ?? new Logger({ serviceName: config.app });
  const needsKinesis = (compiled.sends !== undefined && deps.exchangeWriter === undefined) || compiled.receives === true;
  const clients = deps.checkpoints !== undefined && deps.objects !== undefined && !needsKinesis ? undefined : (deps.clients ?? createAwsClients());
  const clock = deps.clock ?? new SystemClock();
  const app = config.app;
  const checkpoints = deps.checkpoints ?? new DynamoDbCheckpointStore({ client: clients!.dynamodb, tableName: config.tableName });
  const objects = deps.objects ?? new S3ObjectStore({ client: clients!.s3, bucket: config.bucketName });
  const metrics = deps.metrics ?? new EmfMetrics({ app });
  const heapLimitBytes = getHeapStatistics().heap_size_limit;
  const stateBudget = deps.stateBudget ?? new StateBudget(heapLimitBytes, "the function's memorySize (up to 10,240 MB)");
  const exchangeWriter =
    compiled.sends === undefined
      ? undefined
      : (deps.exchangeWriter ??
        new KinesisExchangeWriter({ client: clients!.kinesis, streamName: config.exchangeStream!, partitions: compiled.sends.partitions }));
  let coldStart = true;
  const sourceOf = deps.sourceOf ?? ((streamArn: string): Source => new KinesisSource({ client: clients!.kinesis, streamName: streamNameOf(streamArn) }));
  const exchangeParents = async (shardId: string, sourceId: string | undefined): Promise<readonly string[]> =>
    sourceId === undefined ? [] : ((await sourceOf(sourceId).listShards()).find((s) => s.shardId === shardId)?.parentShardIds ?? []);
  const build = (exchangeOrigins: readonly string[] | undefined): MicroBatchProcessor =>
    new MicroBatchProcessor({
      app,
      pipeline: compiled,
      checkpoints,
      objects,
      clock,
      metrics,
      output: deps.output ?? new LoggerOutputSink(logger),
      walEnabled: config.walEnabled,
      // A receiving stage reads what its senders admitted: the static limit is the source's, as locally.
      maxRatePerShard: compiled.receives === true ? undefined : config.maxRatePerShard,
      // Always present: the controller may publish a rate even when no static limit is set. Lambda has
      // no batch timer, so admission is paced by the allowance schedule (docs/decisions/0003); the
      // batching window is the batch interval, or Spark's usual second when the mapping has none.
      rateGate: allowanceScheduleGate({
        batchIntervalMs: config.batchingWindowMs > 0 ? config.batchingWindowMs : DEFAULT_BATCH_INTERVAL_MS,
        batchingWindowMs: config.batchingWindowMs,
      }),
      // A poison batch is quarantined after a bounded number of attempts, counted durably across
      // containers: the shard moves on in seconds, not when the record leaves the stream's retention.
      failurePolicy: new BatchRetryPolicy({ app, pipeline: compiled, checkpoints, objects, clock, metrics, maxAttempts: config.maxBatchAttempts }),
      // A shard whose state outgrows the function's memory stops with an error saying so, not an out-of-memory crash loop.
      stateBudget,
      onGarbageError: (error) => logger.warn('could not delete superseded state objects: the next snapshot tries again', { error }),
      exchangeWriter,
      exchangeOrigins,
      // A receiving shard's parents in its exchange stream, asked for a shard's first batch only: after a split it starts from its parent's partition.
      ...(compiled.receives === true ? { exchangeParents: exchangeParents } : {}),
    });
  // A receiving stage's origins are the open shards of the stream the previous stage reads, listed
  // once per container (resharding is not supported yet: docs/decisions/0015).
  let processorReady: Promise<MicroBatchProcessor> | undefined = compiled.receives === true ? undefined : Promise.resolve(build(undefined));
  const processorOf = (): Promise<MicroBatchProcessor> => {
    processorReady ??= listHashRanges(clients!.kinesis, config.exchangeOriginsStream!).then((ranges) => {
      if (ranges.length === 0) throw new ConfigError(ProcessorEnvironment.EXCHANGE_ORIGINS_STREAM, `stream ${config.exchangeOriginsStream} has no open shard`);
      logger.info('exchange origins', { stream: config.exchangeOriginsStream, origins: ranges.map((r) => r.shardId) });
      return build(ranges.map((r) => r.shardId));
    });
    processorReady.catch(() => (processorReady = undefined));
    return processorReady;
  };

  /**
   * An idle tick. On a source stage that sends across an exchange, the tick first looks the shard up
   * in its stream (docs/decisions/0015, Resharding), since a Kinesis event says nothing of a split or
   * merge: a closed shard read to its end sends its end marker, naming its children. A shard never
   * read from ticks too if a read from its start finds it empty — a child named by its parent's end,
   * or any open shard the app has no checkpoint of yet (a shard no record went to) — so that it holds
   * the windows after the exchange back only until its first records, not forever. A closed shard
   * with records left, or a shard never read from that has some, does not tick: the mapping delivers
   * them first. Other shards tick as before.
   */
  const idleTick = async (processor: MicroBatchProcessor, shardId: string, idleAtMs: number): Promise<BatchStats | undefined> => {
    if (compiled.sends === undefined || compiled.receives === true || (clients === undefined && deps.sourceOf === undefined))
      return processor.idleTick(shardId, idleAtMs);
    const checkpoint = await readCheckpoint(checkpoints, app, shardId);
    if (checkpoint?.sourceId === undefined || checkpoint.exchange?.ended === true) return processor.idleTick(shardId, idleAtMs);
    const arn = checkpoint.sourceId;
    const source = sourceOf(arn);
    const lineage = await streamLineage(source);
    const tickOne = async (id: string, committed: string | null): Promise<BatchStats | undefined> => {
      const shard = lineage.get(id);
      if (shard === undefined || (!shard.closed && committed !== null)) return processor.idleTick(id, idleAtMs);
      const follows = await whatFollows(source, id, committed);
      if (follows === 'records' || (shard.closed && follows !== 'end')) return undefined;
      if (shard.closed) logger.info('closed shard read to its end: its end marker names its children', { shardId: id, children: shard.children });
      return processor.idleTick(id, idleAtMs, { endOfInput: shard.closed, children: shard.children, neverRead: committed === null, sourceId: arn });
    };
    const stats = await tickOne(shardId, checkpoint.committedSeq);
    // Shards of the stream the app never committed (a child of this one, a shard no record went to, a
    // shard closed before it got any): one query finds them, and each ticks from its start if it is empty.
    const known = new Set(
      (await checkpoints.query(StorageKeys.appPartition(app), StorageKeys.SHARD_PREFIX)).map((i) => i.sk.slice(StorageKeys.SHARD_PREFIX.length)),
    );
    for (const id of lineage.keys()) if (id !== shardId && !known.has(id)) await tickOne(id, null);
    return stats;
  };

  /** Streams this container has committed from: the app's shards were found to hold their offsets. */
  const checkedSources = new Set<string>();

  const handler = async (event: KinesisStreamEvent | IdleTickEvent, context?: Context): Promise<KinesisStreamBatchResponse> => {
    const startedMs = clock.nowMs();
    if (context !== undefined) logger.addContext(context);
    if (coldStart) {
      coldStart = false;
      // What this container can hold: a shard's state past the budget stops with a StateLimitError.
      logger.info('state budget', { heapLimitMb: Math.round(heapLimitBytes / 1_048_576), stateBudgetMb: Math.round(stateBudget.budgetBytes / 1_048_576) });
    }
    const tick = decodeIdleTickEvent(event);
    if (tick !== undefined) {
      const processor = await processorOf();
      const stats = await idleTick(processor, tick.shardId, tick.idleAtMs).catch((error: unknown) => {
        logger.error('idle tick failed: Lambda retries the asynchronous invocation, and the controller asks again while the windows wait', { ...tick, error });
        throw error;
      });
      logger.info('idle tick done', { ...tick, batchNo: stats?.batchNo, ran: stats !== undefined });
      return { batchItemFailures: [] };
    }
    const decoded = decodeKinesisEvent(event as KinesisStreamEvent);
    if (decoded === undefined) return { batchItemFailures: [] };
    const { shardId, records, sourceArn, undecodable } = decoded;
    const delays = invocationDelays(startedMs, records, config.batchingWindowMs);
    let result;
    try {
      // A shard the app never committed is not checked by the processor: check the app's other shards.
      if (sourceArn !== undefined && !checkedSources.has(sourceArn))
        await checkAppSource(checkpoints, app, sourceArn, { appSetting: ProcessorEnvironment.APP_NAME, forShard: shardId });
      const processor = await processorOf();
      result = await processor.process({ shardId, records, ...delays, sourceId: sourceArn });
      if (sourceArn !== undefined) checkedSources.add(sourceArn);
      await setAsideUndecodable({ app, shardId, records: undecodable, objects, metrics });
    } catch (error) {
      logFailure(logger, error, shardId, records);
      throw error;
    }
    const deferredFromRecord = result.deferredFromSeq ?? firstAfter(records, result.committedSeq);
    // The mapping knows Kinesis records: a deferred user record of an aggregate reports its aggregate,
    // as KCL does; the redelivery drops the user records up to the committed sub-sequence number.
    const deferredFrom = deferredFromRecord === undefined ? undefined : kinesisSeqOf(deferredFromRecord);
    logger.info('invocation done', {
      shardId,
      records: records.length,
      undecodable: undecodable.length,
      batches: result.batches.map((b) => ({ batchNo: b.batchNo, records: b.records, processingMs: b.processingMs, replayed: b.replayed })),
      committedSeq: result.committedSeq,
      deferredFrom,
      fenced: result.fenced,
      ...delays,
    });
    return { batchItemFailures: deferredFrom === undefined ? [] : [{ itemIdentifier: deferredFrom }] };
  };
  return Object.assign(handler, { config });
}

/**
 * The first record above the shard's committed sequence number. Normally the rate's first deferred
 * record; in any case a record that is not committed must be redelivered, never acknowledged.
 */
function firstAfter(records: readonly SourceRecord[], committedSeq: string | null): string | undefined {
  return records.find((r) => committedSeq === null || compareSeq(r.seq, committedSeq) > 0)?.seq;
}

function logFailure(logger: Logger, error: unknown, shardId: string, records: readonly SourceRecord[]): void {
  const context = { shardId, records: records.length, firstSeq: records[0]?.seq, lastSeq: records[records.length - 1]?.seq };
  if (error instanceof StateLimitError) {
    logger.error(
      "the shard's state does not fit this function's memory: the shard stops here, retried by the ESM, until the function gets more memory or the keys spread over more shards; no record is set aside",
      { ...context, estimatedBytes: error.estimatedBytes, budgetBytes: error.budgetBytes, error },
    );
  } else if (error instanceof SluiceError && error.retryable) {
    logger.warn('retryable failure: the ESM retries the batch', { ...context, error });
  } else if (error instanceof ConfigError) {
    logger.error('configuration: the ESM retries this batch, which fails the same way until the configuration is fixed', { ...context, error });
  } else {
    logger.error('batch failed: the ESM retries it; committed records are dropped as redeliveries', { ...context, error });
  }
}
