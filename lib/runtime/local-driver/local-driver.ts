import type { BatchStats } from '../../core/batch-stats';
import { DEFAULT_MAX_RECORDS_PER_BATCH } from '../../core/defaults';
import type { RateEstimator } from '../../core/rate/rate-estimator';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { Clock } from '../../ports/clock';
import type { ReadResult, ShardInfo, Source } from '../../ports/source';
import { readCommittedSeq } from '../protocol/checkpoint-record';
import { SinkError } from '../../core/errors';
import { isTransientError } from '../failures/is-transient-error';
import type { MicroBatchProcessor, ProcessResult } from '../protocol/micro-batch-processor';
import { runOnSchedule, type RoundResult, type StopReason } from './run-on-schedule';

/** Options of {@link LocalDriver}. */
export interface LocalDriverOptions {
  readonly app: string;
  readonly source: Source;
  readonly processor: MicroBatchProcessor;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  /** @default DEFAULT_BATCH_INTERVAL_MS */
  readonly batchIntervalMs: number;
  /** Static limit per shard, records/s (also enforced by the processor's token bucket). @default - none */
  readonly maxRatePerShard?: number;
  /** PID backpressure: the receiver pulls at the rate this estimator computes after every batch. @default - off */
  readonly estimator?: RateEstimator;
  /** Stop after this long. @default - run until the source is drained or `signal` aborts */
  readonly durationMs?: number;
  /** @default DEFAULT_MAX_RECORDS_PER_BATCH */
  readonly maxRecordsPerBatch?: number;
  readonly signal?: AbortSignal;
  /**
   * Retry a shard at its next interval when a read or a batch failed transiently, or a batch's sink
   * threw, instead of ending the run; any other failure still ends it. Pair with the processor's
   * `failurePolicy`, which sets a batch aside after a bounded number of sink failures.
   * @default false — the first failure ends the run
   */
  readonly retryFailures?: boolean;
  /** Told about each failure that will be retried. @default - ignored */
  readonly onFailure?: (shardId: string, error: unknown) => void;
  /** Called after every batch interval of every shard, including empty ones (the live view). */
  readonly onBatch?: (event: DriverBatchEvent) => void;
}

/** One tick of one shard, for the live view. */
export interface DriverBatchEvent {
  readonly shardId: string;
  readonly scheduledMs: number;
  /** Committed batches of this tick (more than one after a recovery re-ran a WAL batch). */
  readonly batches: readonly BatchStats[];
  readonly records: number;
  readonly schedulingDelayMs: number;
  /** Rate the receiver pulls at now, records/s (undefined = unbounded). */
  readonly rate: number | undefined;
  readonly committedSeq: string | null;
}

/** Why {@link LocalDriver.run} returned. */
export type { StopReason };

/**
 * Spark's JobGenerator for local mode: every batch interval it reads each shard from its committed
 * offset (at most the rate allows), hands the records to the micro-batch protocol, and — with
 * backpressure on — feeds the batch's stats to the rate estimator, which sets the next pull size.
 *
 * The driver holds no state of its own worth saving: offsets, state and the WAL are in the stores,
 * so a `kill -9` at any moment resumes exactly.
 */
export class LocalDriver {
  readonly #o: LocalDriverOptions;
  #rate: number | undefined;
  /**
   * Shards whose last idle tick was set aside (its windows' sink kept failing): they tick again only
   * after new records, so a failing sink cannot make a quiet or finished source tick forever.
   */
  readonly #tickSetAside = new Set<string>();

  constructor(options: LocalDriverOptions) {
    this.#o = options;
    this.#rate = options.maxRatePerShard;
  }

  async run(): Promise<{ stoppedBy: StopReason; batches: number; records: number }> {
    await this.open();
    return runOnSchedule(this.#o, (scheduledMs) => this.round(scheduledMs));
  }

  #shards: ShardInfo[] = [];
  readonly #positions = new Map<string, string | null>();
  /** Shards read to their end (closed and fully read, every record committed): their children may be read. */
  readonly #ended = new Set<string>();

  /** Lists the source's shards and reads where each is committed; {@link run} calls it, a staged driver calls it once per stage. */
  async open(): Promise<void> {
    await this.#list();
  }

  /**
   * Lists the source's shards again (parents before children, as the `Source` port promises), so
   * the children of a split or merge are read once their parents reached their end.
   */
  async #list(): Promise<void> {
    this.#shards = await this.#o.source.listShards();
    for (const { shardId } of this.#shards) {
      if (!this.#positions.has(shardId)) this.#positions.set(shardId, await readCommittedSeq(this.#o.checkpoints, this.#o.app, shardId));
    }
  }

  /** The shards the last listing found: the origins of the stage this one sends to. */
  get shards(): readonly string[] {
    return this.#shards.map((s) => s.shardId);
  }

  /**
   * One batch interval of every shard: read, run, commit, tick a quiet shard. `drained`: a finite
   * source has nothing left, everything read is committed, and no window waits for a tick.
   */
  async round(scheduledMs: number): Promise<RoundResult> {
    const { source, clock } = this.#o;
    // Every round lists the shards again: a split or merge since the last one adds children.
    await this.#list();
    const shards = this.#shards;
    const positions = this.#positions;
    let batches = 0;
    let records = 0;
    let newlyEnded = false;
    {
      let drained = true;
      for (const { shardId, parentShardIds } of shards) {
        // A child waits until its parents are read to their end (Kinesis's order): its records come after theirs.
        if (!parentShardIds.every((p) => this.#ended.has(p))) {
          drained = false;
          continue;
        }
        let read: ReadResult;
        let result: ProcessResult;
        let schedulingDelayMs = 0;
        let reading = true;
        let ticked = false;
        try {
          const readAtMs = clock.nowMs();
          read = await source.read(shardId, positions.get(shardId) ?? undefined, this.#pullSize());
          reading = false;
          schedulingDelayMs = Math.max(0, clock.nowMs() - scheduledMs);
          result = await this.#o.processor.process({ shardId, records: read.records, schedulingDelayMs, millisBehind: read.millisBehind, sourceId: source.id });
          if (read.records.length > 0) this.#tickSetAside.delete(shardId);
          // A tick that failed before its commit is re-run by `process` (it holds batch n+1 in the WAL).
          if (result.batches.some(isSetAsideTick)) this.#tickSetAside.add(shardId);
          // The end of a finite input, or of a closed shard (a split or merge closed it) read to its end.
          const finished = (read.endOfData || read.endOfShard) && result.deferredFromSeq === undefined;
          if ((read.records.length === 0 || finished) && !this.#tickSetAside.has(shardId)) {
            // A quiet or finished source: an idle tick lets arrival-time windows close (Spark runs every interval).
            // At the end of its input, a stage that sends across an exchange sends its end marker: a closed
            // parent then stops holding the windows after the exchange back, and its children take over.
            const closing = read.endOfShard && finished && !this.#ended.has(shardId);
            const tick = await this.#o.processor.idleTick(shardId, readAtMs, {
              endOfInput: finished,
              ...(closing ? { children: await this.#childrenOf(shardId) } : {}),
              // A shard read from its start and found empty ticks too (a child of a split, a shard no record
              // went to), or it would hold the windows after an exchange back until its first record — unless
              // the read says it is behind (a reader that lags its arrivals has records still to come).
              neverRead: read.records.length === 0 && result.committedSeq === null && !((read.millisBehind ?? 0) > 0),
              ...(source.id === undefined ? {} : { sourceId: source.id }),
            });
            if (tick !== undefined && isSetAsideTick(tick)) this.#tickSetAside.add(shardId);
            if (tick !== undefined) {
              result = { ...result, batches: [...result.batches, tick] };
              ticked = true;
            }
          }
        } catch (error) {
          // Transient failures are retried, and so is a batch whose sink threw (the processor's failure
          // policy sets it aside after a bounded number of attempts). Anything else is the system's
          // failure — an unreadable source, a corrupt checkpoint, the state's memory budget — and
          // ends the run: setting good records aside cannot fix it.
          if (!this.#o.retryFailures || !(isTransientError(error) || (!reading && error instanceof SinkError))) throw error;
          // The position stays: the next tick reads from it again, the processor drops what did
          // commit as redeliveries, and the failed batch is tried again.
          this.#o.onFailure?.(shardId, error);
          drained = false;
          continue;
        }
        positions.set(shardId, result.committedSeq);
        if (result.committedSeq !== null && result.batches.length > 0) {
          // Only a hint that lets a receiver delete what is committed: the next commit repeats it.
          await source.committed?.(shardId, result.committedSeq).catch((error: unknown) => {
            if (!this.#o.retryFailures || !isTransientError(error)) throw error;
            this.#o.onFailure?.(shardId, error);
          });
        }
        for (const b of result.batches) this.#feedEstimator(b);
        const n = result.batches.reduce((sum, b) => sum + b.records, 0);
        batches += result.batches.length;
        records += n;
        this.#o.onBatch?.({
          shardId,
          scheduledMs,
          batches: result.batches,
          records: n,
          schedulingDelayMs,
          rate: this.#rate,
          committedSeq: result.committedSeq,
        });
        const finished = (read.endOfData || read.endOfShard) && result.deferredFromSeq === undefined;
        if (read.endOfShard && finished && !this.#ended.has(shardId)) {
          this.#ended.add(shardId);
          newlyEnded = true;
        }
        // Drained: a finite source has nothing left, everything read is committed, and no window waits for a tick.
        if (!finished || ticked) drained = false;
      }
      // A shard ended: list again, so its children are origins of the next stage before it reads the end marker.
      if (newlyEnded) {
        await this.#list();
        drained = false;
      }
      return { drained, batches, records };
    }
  }

  /** The children of a closed shard, named by its end marker: listed again, since the split may be newer than this round's list. */
  async #childrenOf(shardId: string): Promise<string[]> {
    await this.#list();
    return this.#shards.filter((s) => s.parentShardIds.includes(shardId)).map((s) => s.shardId);
  }

  #pullSize(): number {
    const max = this.#o.maxRecordsPerBatch ?? DEFAULT_MAX_RECORDS_PER_BATCH;
    if (this.#rate === undefined) return max;
    return Math.max(1, Math.min(max, Math.floor((this.#rate * this.#o.batchIntervalMs) / 1000)));
  }

  #feedEstimator(b: BatchStats): void {
    const next = this.#o.estimator?.compute(b.batchTimeMs + b.processingMs, b.records, b.processingMs, b.schedulingDelayMs);
    if (next === undefined) return;
    const cap = this.#o.maxRatePerShard;
    this.#rate = cap === undefined ? next : Math.min(cap, next);
  }
}

/** An idle tick (a batch of no records) that failed too often and was set aside. */
function isSetAsideTick(b: BatchStats): boolean {
  return b.setAside === true && b.records === 0;
}
