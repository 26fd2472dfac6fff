import { stageApp, type StagedPipeline } from '../../core/engine/compile-stages';
import type { RateEstimator } from '../../core/rate/rate-estimator';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { Clock } from '../../ports/clock';
import type { ObjectStore } from '../../ports/object-store';
import type { OutputSink } from '../../ports/output-sink';
import type { ExchangeWriter } from '../../ports/exchange';
import type { Source } from '../../ports/source';
import { ObjectStoreExchange } from './object-store-exchange';
import { LocalDriver, type DriverBatchEvent, type StopReason } from './local-driver';
import { MicroBatchProcessor, type MicroBatchProcessorOptions } from '../protocol/micro-batch-processor';
import { runOnSchedule, type RoundResult } from './run-on-schedule';
import { SluiceError } from '../../core/errors';

/** Options of {@link StagedLocalDriver}. */
export interface StagedLocalDriverOptions {
  readonly app: string;
  readonly staged: StagedPipeline;
  /** What stage 0 reads. Exactly one of `source` and `firstStage`. */
  readonly source?: Source;
  /**
   * Runs stage 0 in place of a {@link LocalDriver} over `source`, given the processor built for it
   * (whose exchange writer sends to stage 1): `sluice replay` re-runs a WAL this way.
   */
  readonly firstStage?: (processor: MicroBatchProcessor) => StageDriver;
  readonly checkpoints: CheckpointStore;
  readonly objects: ObjectStore;
  readonly clock: Clock;
  readonly batchIntervalMs: number;
  readonly output?: OutputSink;
  /** Applies to the first stage, which reads the source. */
  readonly maxRatePerShard?: number;
  readonly estimator?: RateEstimator;
  readonly durationMs?: number;
  readonly signal?: AbortSignal;
  readonly retryFailures?: boolean;
  /** Told about each failure a stage will retry, and which stage (its shards' ids may repeat across stages). */
  readonly onFailure?: (shardId: string, error: unknown, stage: number) => void;
  readonly onBatch?: (stage: number, event: DriverBatchEvent) => void;
  /**
   * The exchange stage `stage` sends to, read by stage `stage + 1` (whose app is `receivingApp`).
   * @default - a log per partition in `objects` ({@link ObjectStoreExchange})
   */
  readonly exchange?: (stage: number, receivingApp: string, partitions: number) => Promise<{ writer: ExchangeWriter; source: Source; senderDone?: () => void }>;
  /** What else each stage's processor gets (failure policy, state budget, rate gate, WAL). */
  readonly processorOptions?: (stage: number, app: string) => Partial<MicroBatchProcessorOptions>;
}

/** What runs one stage, round by round: a {@link LocalDriver}, or the driver of {@link StagedLocalDriverOptions.firstStage}. */
export interface StageDriver {
  open(): Promise<void>;
  round(scheduledMs: number): Promise<RoundResult>;
  /** The shards the stage read from (as last listed): the origins of the stage after it. */
  readonly shards: readonly string[];
}

/**
 * Local mode for a pipeline with exchanges (docs/decisions/0015): every stage is an ordinary app —
 * its own checkpoint rows, WAL prefix and state under `{app}.s{i}` — run by its own
 * {@link LocalDriver}; stage i+1's source is the exchange stage i sends to, a log per partition in
 * the same object store. Each batch interval runs one round of every stage, in order. A `kill -9`
 * at any moment resumes exactly: each stage re-runs its WAL batch, re-sends identical chunks, and
 * the receiving stage drops those it applied.
 */
export class StagedLocalDriver {
  readonly #o: StagedLocalDriverOptions;

  constructor(options: StagedLocalDriverOptions) {
    this.#o = options;
  }

  async #exchange(stage: number, receivingApp: string, partitions: number): Promise<{ writer: ExchangeWriter; source: Source; senderDone?: () => void }> {
    if (this.#o.exchange !== undefined) return this.#o.exchange(stage, receivingApp, partitions);
    const log = new ObjectStoreExchange({ objects: this.#o.objects, stageApp: receivingApp, partitions, nowMs: () => this.#o.clock.nowMs() });
    return { writer: log, source: log, senderDone: () => log.senderDone() };
  }

  #drivers: StageDriver[] = [];
  #exchanges: Array<{ writer: ExchangeWriter; source: Source; senderDone?: () => void }> = [];

  async run(): Promise<{ stoppedBy: StopReason; batches: number; records: number }> {
    await this.open();
    return runOnSchedule(this.#o, (scheduledMs) => this.round(scheduledMs));
  }

  /** Builds every stage's processor, exchange and driver, and reads their committed positions. */
  async open(): Promise<void> {
    const { staged, clock, batchIntervalMs } = this.#o;
    if ((this.#o.source === undefined) === (this.#o.firstStage === undefined))
      throw new SluiceError('StagedLocalDriver needs exactly one of source and firstStage');
    const drivers: StageDriver[] = [];
    const exchanges: Array<{ writer: ExchangeWriter; source: Source; senderDone?: () => void }> = [];
    // A receiving stage's origins are the sending stage's shards as its driver last listed them: a
    // split or merge of the source adds the children (docs/decisions/0015, Resharding).
    let origins: (() => readonly string[]) | undefined;
    for (let s = 0; s < staged.stages.length; s++) {
      const pipeline = staged.stages[s]!;
      const app = stageApp(this.#o.app, s);
      const source = s === 0 ? this.#o.source : exchanges[s - 1]!.source;
      const firstStage = s === 0 ? this.#o.firstStage : undefined;
      const exchange = pipeline.sends === undefined ? undefined : await this.#exchange(s, stageApp(this.#o.app, s + 1), pipeline.sends.partitions);
      if (exchange !== undefined) exchanges.push(exchange);
      const writer = exchange?.writer;
      const processor = new MicroBatchProcessor({
        ...this.#o.processorOptions?.(s, app),
        app,
        pipeline,
        checkpoints: this.#o.checkpoints,
        objects: this.#o.objects,
        clock,
        output: this.#o.output,
        exchangeWriter: writer,
        exchangeOrigins: s === 0 ? undefined : origins,
        ...(s === 0 ? {} : { maxRatePerShard: undefined }),
      });
      const driver: StageDriver =
        firstStage !== undefined
          ? firstStage(processor)
          : new LocalDriver({
              app,
              source: source!,
              processor,
              checkpoints: this.#o.checkpoints,
              clock,
              batchIntervalMs,
              ...(s === 0 ? { maxRatePerShard: this.#o.maxRatePerShard, estimator: this.#o.estimator } : {}),
              retryFailures: this.#o.retryFailures,
              onFailure: (shardId, error) => this.#o.onFailure?.(shardId, error, s),
              onBatch: (e) => this.#o.onBatch?.(s, e),
            });
      await driver.open();
      origins = () => driver.shards;
      drivers.push(driver);
    }
    this.#drivers = drivers;
    this.#exchanges = exchanges;
  }

  /** One batch interval: a round of every stage, in stage order, so what a stage sends is read by the next in the same round. */
  async round(scheduledMs: number): Promise<RoundResult> {
    const drivers = this.#drivers;
    const exchanges = this.#exchanges;
    if (drivers.length === 0) throw new SluiceError('StagedLocalDriver.round before open()');
    let drained = true;
    let batches = 0;
    let records = 0;
    for (let s = 0; s < drivers.length; s++) {
      const round = await drivers[s]!.round(scheduledMs);
      batches += round.batches;
      if (s === 0) records += round.records;
      if (!round.drained) drained = false;
      // A stage that has sent everything it ever will lets the next one drain.
      else if (drained && s < exchanges.length) exchanges[s]!.senderDone?.();
    }
    return { drained, batches, records };
  }
}
