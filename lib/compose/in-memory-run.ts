import { MemoryCheckpointStore } from '../adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../adapters/local/memory-object-store';
import { compileStages, stageApp, stageOfOperator, type StagedPipeline } from '../core/engine/compile-stages';
import { checkRange } from '../core/rate/check-range';
import type { BatchInfo } from '../core/pipeline/op-spec';
import type { Stream } from '../core/pipeline/stream';
import type { SourceRecord } from '../core/source-record';
import type { Clock } from '../ports/clock';
import type { ReadResult, ShardInfo, Source } from '../ports/source';
import { StagedLocalDriver } from '../runtime/local-driver/staged-local-driver';
import { MicroBatchProcessor } from '../runtime/protocol/micro-batch-processor';
import { readMergedState, stateToJson } from '../runtime/protocol/read-merged-state';

/** Options of {@link InMemoryRun}. */
export interface InMemoryRunOptions {
  /** The shard the records come from. @default 'shard-0' */
  readonly shardId?: string;
  /** Time of the first batch, ms since the epoch. @default 1_767_225_600_000 (2026-01-01T00:00:00Z) */
  readonly startMs?: number;
  /** How far the clock moves between two batches: the batch interval. @default 1_000 */
  readonly batchIntervalMs?: number;
}

/** What one `print(n)` of the pipeline printed in a batch. */
export interface PrintedItems {
  /** The operator's id (`print-0`, `print-1`, ... in pipeline order, or the name given to it). */
  readonly operatorId: string;
  /** The items printed: at most `n` of them. */
  readonly items: readonly unknown[];
  /** How many items the stream held; `items` are its first `n`. */
  readonly total: number;
  /** The stage that printed (0 reads the source; each `keyBy` / `global` starts the next). */
  readonly stage: number;
}

/** The outcome of {@link InMemoryRun.batch} or {@link InMemoryRun.tick}. */
export interface InMemoryBatch {
  /** The batch number on the shard, from 1; 0 when nothing ran (a tick with no window to close). */
  readonly batchNo: number;
  /** Records committed, quarantined ones included. */
  readonly records: number;
  /** Records the pipeline threw on, or that did not decode: quarantined, not applied. */
  readonly quarantined: number;
  /** What the pipeline's `print(n)` operators printed, in order. */
  readonly printed: readonly PrintedItems[];
}

/**
 * Runs a pipeline's micro-batches in memory, through the same protocol as `sluice run` and the
 * Lambda processor (write-ahead log, fenced commit, quarantine), on in-memory stores and a clock
 * that moves one batch interval per batch. For unit tests of a pipeline: no disk, no AWS, no timers.
 *
 * The records of one `batch` call form one micro-batch of one shard; state carries over from batch
 * to batch exactly as it does on Lambda.
 *
 * @example
 * import { InMemoryRun } from 'sluice/testing';
 * import wordCount from '../src/word-count';
 *
 * const run = new InMemoryRun(wordCount);
 * await run.batch(['to be or', 'not to be']);
 * await run.batch(['to do']);
 * expect(await run.state()).toEqual({ to: 3, be: 2, or: 1, not: 1, do: 1 });
 */
export class InMemoryRun<T = unknown> {
  readonly #staged: StagedPipeline;
  readonly #checkpoints = new MemoryCheckpointStore();
  readonly #objects = new MemoryObjectStore();
  readonly #shardId: string;
  readonly #intervalMs: number;
  readonly #clock: Clock & { nowMs(): number };
  /** A single-stage pipeline: its processor, run batch by batch. */
  readonly #processor: MicroBatchProcessor | undefined;
  /** A pipeline with exchanges: every stage, one round per batch, fed by {@link #input}. */
  readonly #driver: StagedLocalDriver | undefined;
  readonly #input: PushedRecords;
  #opened: Promise<void> | undefined;
  #printed: PrintedItems[] = [];
  #nowMs: number;
  #seq = 0;

  constructor(pipeline: Stream<T>, options: InMemoryRunOptions = {}) {
    this.#staged = compileStages(pipeline as Stream<unknown>);
    this.#shardId = options.shardId ?? 'shard-0';
    this.#intervalMs = checkRange('batchIntervalMs', options.batchIntervalMs ?? 1_000, { min: 1, max: 86_400_000, integer: true });
    this.#nowMs = options.startMs ?? Date.UTC(2026, 0, 1);
    this.#clock = {
      nowMs: () => this.#nowMs,
      sleep: async (ms: number) => void (this.#nowMs += ms),
    };
    this.#input = new PushedRecords(this.#shardId);
    const stageOf = new Map(this.#staged.stages.map((_, s) => [stageApp(this.#staged.name, s), s]));
    const output = {
      print: (info: BatchInfo, operatorId: string, items: readonly unknown[], total: number) =>
        void this.#printed.push({ operatorId, items: [...items], total, stage: stageOf.get(info.app) ?? 0 }),
    };
    if (this.#staged.stages.length === 1) {
      const only = this.#staged.stages[0]!;
      this.#processor = new MicroBatchProcessor({
        app: only.name,
        pipeline: only,
        checkpoints: this.#checkpoints,
        objects: this.#objects,
        clock: this.#clock,
        output,
      });
    } else {
      // The machinery of `sluice run` for pipelines with exchanges: a local exchange per stage boundary in the run's object store.
      this.#driver = new StagedLocalDriver({
        app: this.#staged.name,
        staged: this.#staged,
        source: this.#input,
        checkpoints: this.#checkpoints,
        objects: this.#objects,
        clock: this.#clock,
        batchIntervalMs: this.#intervalMs,
        output,
        onBatch: (stage, event) => {
          if (stage === 0) this.#stageZero.push(...event.batches);
        },
      });
    }
  }

  #stageZero: Array<{ batchNo: number; records: number; quarantined: number }> = [];

  /** The current time of the run's clock, ms since the epoch: the arrival time of the next batch's records. */
  get nowMs(): number {
    return this.#nowMs;
  }

  /** How many stages the pipeline has: 1, plus one per `keyBy` / `global`. */
  get stages(): number {
    return this.#staged.stages.length;
  }

  /**
   * Runs one micro-batch of `records` (text lines, or bytes for `{ input: 'bytes' }` pipelines), all
   * arriving at {@link nowMs}, then moves the clock one batch interval on. With `keyBy` / `global`,
   * every later stage then runs on what crossed its exchange, as `sluice run` does in one batch interval
   * (the first stage then takes at most 100,000 records per call, the local driver's batch limit; the
   * rest go in the next call's batch).
   */
  async batch(records: readonly (string | Uint8Array)[]): Promise<InMemoryBatch> {
    const encoder = new TextEncoder();
    const arrivalMs = this.#nowMs;
    const input: SourceRecord[] = records.map((record) => ({
      seq: String(++this.#seq),
      arrivalMs,
      partitionKey: String(this.#seq),
      data: typeof record === 'string' ? encoder.encode(record) : record,
    }));
    if (this.#processor !== undefined) return this.#run(async () => (await this.#processor!.process({ shardId: this.#shardId, records: input })).batches);
    this.#input.push(input);
    return this.#round();
  }

  /**
   * An idle tick (docs/decisions/0007): an empty batch at {@link nowMs} that closes the arrival-time
   * windows whose end the clock has passed, as a quiet source's shard gets. Moves the clock on too.
   * With exchanges, the tick's progress crosses them, and windows after them close as the clock passes.
   */
  async tick(): Promise<InMemoryBatch> {
    if (this.#processor !== undefined)
      return this.#run(async () => {
        const stats = await this.#processor!.idleTick(this.#shardId, this.#nowMs);
        return stats === undefined ? [] : [stats];
      });
    return this.#round();
  }

  /**
   * The end of the input: with exchanges, the source shard sends its end marker, and every window
   * after an exchange that holds data closes (as `sluice run` on a finite file does at its end). A
   * batch after it starts the input again. Without exchanges, the same as {@link tick}.
   */
  async end(): Promise<InMemoryBatch> {
    if (this.#processor !== undefined) return this.tick();
    this.#input.end();
    return this.#round();
  }

  /**
   * The state of a stateful operator (`updateStateByKey`, `mapWithState`, a window), keys as
   * strings (non-string keys as JSON). With exchanges, the state of the stage that holds the
   * operator: after `keyBy`, one value per key across the whole stream.
   *
   * @param operatorId the operator's name, as given in its options (`{ name: 'totals' }`)
   * @default operatorId - the pipeline's last stateful operator
   */
  async state(operatorId?: string): Promise<Record<string, unknown>> {
    const { stage, pipeline } = stageOfOperator(this.#staged, operatorId);
    return stateToJson(await readMergedState(this.#checkpoints, this.#objects, stageApp(this.#staged.name, stage), pipeline, operatorId));
  }

  async #round(): Promise<InMemoryBatch> {
    return this.#run(async () => {
      this.#opened ??= this.#driver!.open();
      await this.#opened;
      this.#stageZero = [];
      await this.#driver!.round(this.#nowMs);
      return this.#stageZero;
    });
  }

  async #run(step: () => Promise<readonly { batchNo: number; records: number; quarantined: number }[]>): Promise<InMemoryBatch> {
    this.#printed = [];
    const batches = await step();
    this.#nowMs += this.#intervalMs;
    const last = batches[batches.length - 1];
    return {
      batchNo: last?.batchNo ?? 0,
      records: batches.reduce((n, b) => n + b.records, 0),
      quarantined: batches.reduce((n, b) => n + b.quarantined, 0),
      printed: this.#printed,
    };
  }
}

/** The records `batch` gives, as a one-shard source the staged driver reads: each call's records are one read. */
class PushedRecords implements Source {
  readonly id = 'in-memory-run';
  readonly #shardId: string;
  #records: SourceRecord[] = [];
  #ended = false;

  constructor(shardId: string) {
    this.#shardId = shardId;
  }

  push(records: readonly SourceRecord[]): void {
    this.#records.push(...records);
    this.#ended = false;
  }

  end(): void {
    this.#ended = true;
  }

  async listShards(): Promise<ShardInfo[]> {
    return [{ shardId: this.#shardId, parentShardIds: [] }];
  }

  async read(_shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    const from = afterSeq === undefined ? 0 : Number(afterSeq);
    const records = this.#records.filter((r) => Number(r.seq) > from).slice(0, maxRecords);
    const last = this.#records[this.#records.length - 1];
    const rest = last === undefined ? 0 : Number(last.seq) - from - records.length;
    return { records, endOfShard: false, endOfData: this.#ended && rest === 0 };
  }
}
