import type { BatchStats } from '../../core/batch-stats';
import { DEFAULT_MAX_RECORD_BYTES } from '../../core/defaults';
import { decodeRecords } from '../../core/engine/decode-records';
import type { OperatorState } from '../../core/state/operator-state';
import { ConfigError, FencedError, ReadRaceError, SluiceError } from '../../core/errors';
import { compareSeq, type SourceRecord } from '../../core/source-record';
import type { OutputSink } from '../../ports/output-sink';
import type { BatchFailurePolicy } from '../failures/batch-retry-policy';
import { buildCommit } from './build-commit';
import type { LimiterState } from './checkpoint-record';
import { emitBatch } from './emit-batch';
import { Quarantine } from './quarantine';
import { ShardReader, type ShardSnapshot } from './shard-reader';
import { sourceMismatchError } from './source-mismatch-error';
import { collectStateGarbage, sweepDue } from './state/collect-state-garbage';
import { prepareStateWrite } from './state/prepare-state-write';
import type { StateBudget } from './state/state-budget';
import { EMPTY_MANIFEST, type SnapshotPolicy } from './state/state-manifest';
import { StorageKeys } from './storage-keys';
import { decodeWal, encodeWal, type WalBatch, type WalHeader } from './wal-codec';
import type { BatchDeps } from './batch-deps';
import { decodeExchangeBatch } from '../../core/exchange/decode-exchange-batch';
import { buildChunks, encodeChunk, MAX_ELEMENT_BYTES, withoutOversized, type TimedElement } from '../../core/exchange/exchange-chunks';
import type { ExchangeOutput } from '../../core/pipeline/op-spec';
import type { ExchangeWriter } from '../../ports/exchange';
import type { CheckpointExchange, CheckpointRecord } from './checkpoint-record';
import { mapLimited } from './map-limited';

/**
 * Decides how many of `wanted` records a batch may take now, given the limiter state stored in the
 * checkpoint. A gate that paces (the Lambda allowance schedule) may ask the processor to wait before
 * the batch starts, and may report the batch's scheduling delay as it defines it.
 */
export type RateGate = (input: { limiter: LimiterState | undefined; nowMs: number; wanted: number; ratePerSec: number; firstArrivalMs: number }) => {
  granted: number;
  limiter: LimiterState | undefined;
  waitMs?: number;
  schedulingDelayMs?: number;
};

/** Options of {@link MicroBatchProcessor}. */
export interface MicroBatchProcessorOptions extends BatchDeps {
  readonly output?: OutputSink;
  /**
   * Write each batch to the WAL before running it. Off, state stays exactly-once (the commit is
   * atomic) but outputs become at-least-once, since a retry may cut the batch differently.
   * @default true
   */
  readonly walEnabled?: boolean;
  /**
   * Static limit, records per second per shard (Spark's `receiver.maxRate`). The published rate of
   * the controller, when lower, applies too.
   * @default - no static limit
   */
  readonly maxRatePerShard?: number;
  /** Enforces a rate; required when a rate may apply. */
  readonly rateGate?: RateGate;
  /** @default DEFAULT_MAX_RECORD_BYTES (1 MiB) */
  readonly maxRecordBytes?: number;
  /**
   * Decides what a failed batch (not a lost fenced race) becomes: with a `BatchRetryPolicy`, it is
   * quarantined after a bounded number of attempts and the shard moves on.
   * @default - the error is thrown: the batch is retried without bound
   */
  readonly failurePolicy?: BatchFailurePolicy;
  /** When a batch writes a snapshot of its shard's state instead of a delta. @default DEFAULT_MAX_DELTAS_PER_SNAPSHOT, DEFAULT_SNAPSHOT_DELTA_RATIO */
  readonly snapshotPolicy?: SnapshotPolicy;
  /**
   * Refuses a shard state too big for this process, before loading it and before committing a
   * batch that grew it past the budget: the shard stops with a `StateLimitError` naming the memory
   * to add, instead of crashing out of memory. @default - no limit but the heap's
   */
  readonly stateBudget?: StateBudget;
  /** Told about failures to delete superseded state objects (they are retried at the next snapshot). @default - ignored */
  readonly onGarbageError?: (error: unknown) => void;
  /** A stage that ends at an exchange (`pipeline.sends`): where its chunks go, before each commit. */
  readonly exchangeWriter?: ExchangeWriter;
  /**
   * A stage fed by an exchange (`pipeline.receives`): the shards of the sending stage. Its windows
   * close only once each of them has passed their end (docs/decisions/0015). A function is asked at
   * each batch: the sending stage's shards as last listed, children of a split or merge included.
   * Every origin that has sent (a mark in the checkpoint) counts too.
   */
  readonly exchangeOrigins?: readonly string[] | (() => readonly string[]);
  /** Bytes of elements per exchange chunk (chaos and tests use small ones to split batches into many). @default CHUNK_TARGET_BYTES */
  readonly exchangeChunkBytes?: number;
  /**
   * A stage fed by an exchange stream that may be resharded (on AWS): the parents of a shard in the
   * stream it reads (`sourceId`). A shard with no checkpoint whose parent holds a partition's state
   * starts from that state and those marks (a split moved the partition to it; docs/decisions/0015).
   * @default - no parents: an exchange that is never resharded (local mode)
   */
  readonly exchangeParents?: (shardId: string, sourceId: string | undefined) => Promise<readonly string[]>;
}

/** What a receiving shard starts from when a split of the exchange stream gave it its parent's partition. */
interface Inherited {
  readonly from: string;
  readonly checkpoint: CheckpointRecord;
  readonly states: Map<string, OperatorState>;
}

/** What one call of {@link MicroBatchProcessor.process} did. */
export interface ProcessResult {
  readonly batches: BatchStats[];
  /** First record left for later by the rate limit: the ESM must redeliver from here. */
  readonly deferredFromSeq: string | undefined;
  /** Highest committed sequence number of the shard after this call. */
  readonly committedSeq: string | null;
  /** Commits this call lost to another invocation (each followed by a re-read). */
  readonly fenced: number;
}

/** Input of one call: records of one shard in sequence order, as the ESM or the local driver read them. */
export interface ProcessInput {
  readonly shardId: string;
  readonly records: readonly SourceRecord[];
  /** How long the batch waited before processing started (see docs/decisions/0003). @default 0 */
  readonly schedulingDelayMs?: number;
  readonly millisBehind?: number;
  /** The source's id ({@link Source.id}, the event's `eventSourceARN`): checked against the checkpoint's. @default - unchecked */
  readonly sourceId?: string;
}

const MAX_ROUNDS = 1_000;
const AGAIN = Symbol('again');

/**
 * Runs `round` until it returns something other than {@link AGAIN} (a lost race: the next round
 * re-reads the checkpoint); gives up, retryably, after {@link MAX_ROUNDS}. The loop of both
 * `process` and `idleTick`.
 */
async function inRounds<R>(shardId: string, round: () => Promise<R | typeof AGAIN>): Promise<R> {
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const result = await round();
    if (result !== AGAIN) return result;
  }
  throw new SluiceError(`shard ${shardId}: gave up after ${MAX_ROUNDS} rounds of allocation`, { retryable: true });
}

/**
 * Runs the micro-batch protocol of docs/architecture.md §3 for one shard: read the checkpoint, allocate
 * the batch in the WAL (create-only), compute, emit, and commit state and offsets in one fenced
 * transaction. Local mode and the Lambda processor both call this; only the adapters differ.
 *
 * A warm instance keeps each shard's state in memory, validated against the checkpoint's bucket
 * versions on every read, so a batch costs: one read, one WAL put, one commit (+ sinks).
 */
export class MicroBatchProcessor {
  readonly #o: MicroBatchProcessorOptions;
  readonly #reader: ShardReader;
  readonly #walEnabled: boolean;

  constructor(options: MicroBatchProcessorOptions) {
    this.#o = options;
    this.#walEnabled = options.walEnabled ?? true;
    const budget = options.stateBudget;
    this.#reader = new ShardReader(
      options.app,
      options.pipeline,
      options.checkpoints,
      options.objects,
      budget && ((shardId, manifest) => budget.check(shardId, manifest)),
    );
  }

  /** Processes `input.records`, committing as many batches as the WAL and the rate limit make it. */
  async process(input: ProcessInput): Promise<ProcessResult> {
    const { shardId } = input;
    let pending = sortedCopy(input.records);
    const batches: BatchStats[] = [];
    let fenced = 0;
    return inRounds(shardId, async () => {
      const snapshot = await this.#reader.read(shardId);
      checkSameSource(this.#o.app, snapshot, input.sourceId);
      const committed = snapshot.checkpoint?.committedSeq ?? null;
      // Redeliveries (seq ≤ committed) were counted already: drop them first.
      if (committed !== null) pending = pending.filter((r) => compareSeq(r.seq, committed) > 0);
      // A new container's state loads while the batch is allocated. Only a cold load, into maps of its
      // own: a catch-up changes the cached maps in place, so it must never run behind a batch's back.
      const states = pending.length > 0 && this.#reader.isCold(shardId) ? this.#reader.states(snapshot) : undefined;
      states?.catch(() => undefined);
      const allocation = await this.#allocate(snapshot, pending);
      if (allocation === undefined) {
        // Nothing allocated: either nothing is pending, or the rate limit granted none of it and every
        // pending record must be redelivered (an ESM told "all done" would skip them).
        return { batches, deferredFromSeq: pending[0]?.seq, committedSeq: committed, fenced };
      }
      const { batch, replayed, deferredFromSeq } = allocation;
      if (replayed) await this.#setAsideOrphans(shardId, batch, pending);
      const delay = allocation.schedulingDelayMs ?? input.schedulingDelayMs;
      const outcome = await this.#runOrSetAside(snapshot, batch, replayed, { ...input, schedulingDelayMs: delay }, states);
      // Another invocation committed this batch number first (or raced the read): re-read and go on.
      if (outcome === 'fenced') fenced++;
      if (outcome === 'fenced' || outcome === 'raced') return AGAIN;
      batches.push(outcome);
      const lastSeq = batch.header.lastSeq;
      // An idle tick of a shard never read from (lastSeq null) stands before every record.
      if (lastSeq !== null) pending = pending.filter((r) => compareSeq(r.seq, lastSeq) > 0);
      if (deferredFromSeq !== undefined && !replayed) {
        return { batches, deferredFromSeq, committedSeq: lastSeq, fenced };
      }
      if (pending.length === 0) return { batches, deferredFromSeq: undefined, committedSeq: lastSeq, fenced };
      return AGAIN;
    });
  }

  /**
   * Runs an **idle tick** for a shard whose source had nothing to read at `idleAtMs`, if the pipeline
   * awaits one (an arrival-time window holds data not yet emitted): a batch of no records whose
   * windows see arrival time reach `idleAtMs`, so a quiet source's windows close, as Spark's do at
   * every batch interval. The tick goes through the whole protocol — allocated create-only in the
   * WAL with its times, run, emitted, committed in one fenced transaction with the offsets unchanged
   * — so a re-run emits the same windows. A batch n+1 an earlier attempt allocated runs instead.
   * Returns the committed batch, or undefined when nothing awaited a tick.
   *
   * See {@link IdleTickOptions} for the end of a shard's input and a shard never read from.
   */
  async idleTick(shardId: string, idleAtMs: number, options: IdleTickOptions = {}): Promise<BatchStats | undefined> {
    const { app, objects, clock, pipeline } = this.#o;
    const { endOfInput = false, children, neverRead = false } = options;
    // A sending stage whose exchange carries time ticks too: the stages after it wait for every origin.
    const sendsTime = pipeline.sends?.progress === true && pipeline.receives !== true;
    const mayEnd = endOfInput && pipeline.sends !== undefined && pipeline.receives !== true;
    if (!pipeline.usesIdleTicks && !sendsTime && !mayEnd) return undefined;
    return inRounds(shardId, async () => {
      const snapshot = await this.#reader.read(shardId);
      const committed = snapshot.checkpoint?.committedSeq ?? null;
      const batchNo = (snapshot.checkpoint?.batchNo ?? 0) + 1;
      const walKey = StorageKeys.walKey(app, shardId, batchNo);
      let batch = this.#walEnabled ? await this.#allocated(walKey, batchNo, committed) : undefined;
      const replayed = batch !== undefined;
      if (batch === undefined) {
        // Ticks need a position: the committed offset, or the start of a shard the caller read empty.
        if (committed === null && !neverRead) return undefined;
        let states;
        try {
          states = await this.#reader.states(snapshot);
        } catch (error) {
          // A batch committed between the checkpoint read and the state read: read both again.
          if (error instanceof ReadRaceError) return AGAIN;
          throw error;
        }
        let dueAtMs = pipeline.usesIdleTicks ? pipeline.tickDueAtMs(states) : undefined;
        const ending = mayEnd && snapshot.checkpoint?.exchange?.ended !== true;
        if (ending) dueAtMs = idleAtMs;
        else if (sendsTime && snapshot.checkpoint?.exchange?.ended !== true) {
          const sentMs = snapshot.checkpoint?.exchange?.sentWatermarkMs;
          const progressDueMs = sentMs === undefined || sentMs === null ? idleAtMs : sentMs + pipeline.sends!.tickEveryMs;
          dueAtMs = dueAtMs === undefined ? progressDueMs : Math.min(dueAtMs, progressDueMs);
        }
        if (dueAtMs === undefined || idleAtMs < dueAtMs) return undefined;
        const header: WalHeader = {
          app,
          shard: shardId,
          batchNo,
          firstSeq: committed,
          lastSeq: committed,
          count: 0,
          createdAt: clock.nowMs(),
          limiter: snapshot.checkpoint?.limiter,
          idleAtMs,
          ...(ending ? { endOfInput: true as const } : {}),
          ...(ending && children !== undefined && children.length > 0 ? { children: [...children] } : {}),
        };
        batch = { header, records: [] };
        // Lost the allocation to another attempt: re-read, and run what it allocated.
        if (this.#walEnabled && !(await objects.putIfAbsent(walKey, encodeWal(batch)))) return AGAIN;
      }
      const outcome = await this.#runOrSetAside(snapshot, batch, replayed, {
        shardId,
        records: [],
        ...(options.sourceId === undefined ? {} : { sourceId: options.sourceId }),
      });
      if (outcome === 'fenced' || outcome === 'raced') return AGAIN;
      return outcome;
    });
  }

  /**
   * Records this call was given that sit above the committed offset but below the first record of a
   * batch another attempt already allocated in the WAL. Once that batch commits they look like
   * redeliveries, so they are set aside in quarantine first — never dropped in silence. With a
   * ParallelizationFactor of 1 the ESM only delivers this way after it discarded or bisected a batch.
   */
  async #setAsideOrphans(shardId: string, batch: WalBatch, pending: readonly SourceRecord[]): Promise<void> {
    const firstSeq = batch.header.firstSeq;
    // An idle tick of a shard never read from: no record lies below it.
    if (firstSeq === null) return;
    const orphans = pending.filter((r) => compareSeq(r.seq, firstSeq) < 0);
    if (orphans.length === 0) return;
    const reason = `delivered after batch ${batch.header.batchNo} (from seq ${firstSeq}) was allocated without it; set aside instead of being skipped as a redelivery`;
    await new Quarantine(this.#o.objects).writeOrphans(
      orphans.map((r) => Quarantine.ofRecord({ app: this.#o.app, shardId, batchNo: batch.header.batchNo, stage: 'out-of-order' }, r, new Error(reason))),
    );
    this.#o.metrics?.recordsQuarantined?.(shardId, orphans.length);
  }

  /**
   * Step 2: fixes the records of batch n+1. If an earlier attempt already allocated it (its WAL object
   * exists), that batch is re-run as it was, whatever this call was given.
   */
  async #allocate(snapshot: ShardSnapshot, pending: SourceRecord[]): Promise<Allocation | undefined> {
    const { app, objects, clock } = this.#o;
    const shardId = snapshot.shardId;
    const batchNo = (snapshot.checkpoint?.batchNo ?? 0) + 1;
    const walKey = StorageKeys.walKey(app, shardId, batchNo);
    let nowMs = clock.nowMs();
    const { granted, limiter, rateLimit, waitMs, schedulingDelayMs } = this.#gate(snapshot, nowMs, pending);
    if (waitMs > 0 && granted > 0) {
      // Paced: a shard ahead of its allowance schedule starts its batch on schedule, not early.
      await clock.sleep(waitMs);
      nowMs = clock.nowMs();
    }
    const take = pending.slice(0, granted);
    const deferredFromSeq = granted < pending.length ? pending[granted]!.seq : undefined;

    if (!this.#walEnabled) {
      if (take.length === 0) return undefined;
      return {
        batch: { header: header(app, shardId, batchNo, take, nowMs, limiter, rateLimit), records: take },
        replayed: false,
        deferredFromSeq,
        schedulingDelayMs,
      };
    }
    if (take.length > 0) {
      // A receiving stage fixes its origins with its records: a re-run then waits for the same origins and
      // closes the same windows, even if a split added children to the list since (docs/decisions/0015).
      const origins = this.#o.pipeline.receives === true ? { origins: [...this.#exchangeOrigins()] } : {};
      const batch: WalBatch = { header: { ...header(app, shardId, batchNo, take, nowMs, limiter, rateLimit), ...origins }, records: take };
      // The create-only write is the allocation: exactly one attempt ever fixes batch n+1's records.
      if (await objects.putIfAbsent(walKey, encodeWal(batch))) return { batch, replayed: false, deferredFromSeq, schedulingDelayMs };
    }
    // Nothing to take, or n+1 was allocated earlier by an attempt that did not commit: run that one.
    const batch = await this.#allocated(walKey, batchNo, snapshot.checkpoint?.committedSeq ?? null);
    if (batch === undefined) return undefined;
    return { batch, replayed: true, deferredFromSeq: undefined, schedulingDelayMs: undefined };
  }

  /** Batch `batchNo` as an earlier attempt allocated it in the WAL, checked to follow the checkpoint; undefined if none did. */
  async #allocated(walKey: string, batchNo: number, committed: string | null): Promise<WalBatch | undefined> {
    const existing = await this.#o.objects.get(walKey);
    if (existing === undefined) return undefined;
    const batch = decodeWal(walKey, existing);
    const h = batch.header;
    // A batch of records starts above the committed offset; an idle tick stands at it.
    const follows = h.count === 0 ? h.lastSeq === committed : h.firstSeq !== null && (committed === null || compareSeq(h.firstSeq, committed) > 0);
    if (h.batchNo !== batchNo || !follows) throw new SluiceError(`${walKey}: WAL batch does not follow the checkpoint (committed ${committed})`);
    return batch;
  }

  /**
   * A receiving shard with no checkpoint: if a split of the exchange stream gave it its parent's
   * partition, the parent's committed state and marks (a parent that never committed is passed
   * through to its own parents). The event source mapping reads a child only after its parents are
   * done, so the parent's last commit is final. A merge would put two partitions on one shard, which
   * is refused: a partition's keys and state live on one shard.
   */
  async #inherit(shardId: string, sourceId: string | undefined): Promise<Inherited | undefined> {
    const parentsOf = this.#o.exchangeParents;
    if (parentsOf === undefined) return undefined;
    const found: Inherited[] = [];
    const visit = async (id: string, depth: number): Promise<void> => {
      for (const parent of await parentsOf(id, sourceId)) {
        const snapshot = await this.#reader.read(parent);
        if (snapshot.checkpoint === undefined) {
          if (depth < 8) await visit(parent, depth + 1);
          continue;
        }
        // Loaded into maps of its own: the parent is done, and the child must not share its cache entry.
        this.#reader.forget(parent);
        const states = await this.#reader.states(snapshot);
        this.#reader.forget(parent);
        found.push({ from: parent, checkpoint: snapshot.checkpoint, states });
      }
    };
    await visit(shardId, 0);
    if (found.length > 1) {
      throw new ConfigError(
        'exchange',
        `shard ${shardId} of stage ${this.#o.app} follows ${found.map((f) => f.from).join(' and ')}, which both hold a partition: merged exchange shards are not supported (a partition's keys and state live on one shard); split the shard again at the partitions' boundary`,
      );
    }
    return found[0];
  }

  #exchangeOrigins(): readonly string[] {
    const origins = this.#o.exchangeOrigins;
    return typeof origins === 'function' ? origins() : (origins ?? []);
  }

  #gate(snapshot: ShardSnapshot, nowMs: number, pending: readonly SourceRecord[]): GateResult {
    const limits = [this.#o.maxRatePerShard, snapshot.control?.rateLimit].filter((r): r is number => typeof r === 'number' && r > 0);
    const rateLimit = limits.length > 0 ? Math.min(...limits) : undefined;
    const previous = snapshot.checkpoint?.limiter;
    const wanted = pending.length;
    if (rateLimit === undefined || wanted === 0) return { granted: wanted, limiter: previous, rateLimit, waitMs: 0, schedulingDelayMs: undefined };
    if (this.#o.rateGate === undefined) throw new SluiceError('a rate limit applies but no rateGate was given to the processor');
    const out = this.#o.rateGate({ limiter: previous, nowMs, wanted, ratePerSec: rateLimit, firstArrivalMs: pending[0]!.arrivalMs });
    return {
      granted: Math.max(0, Math.min(wanted, Math.floor(out.granted))),
      limiter: out.limiter,
      rateLimit,
      waitMs: Math.max(0, out.waitMs ?? 0),
      schedulingDelayMs: out.schedulingDelayMs,
    };
  }

  /**
   * The time a sending stage has reached after a batch: a source stage, the latest arrival it read
   * or idled at (records read later arrive after it); a stage fed by an exchange, what its origins
   * all reached. Never goes back.
   */
  #progress(previous: number | null, records: readonly SourceRecord[], idleAtMs: number | undefined, inputWatermarkMs: number | undefined): number | null {
    let w = previous;
    const raise = (t: number | undefined): void => {
      if (t !== undefined && (w === null || t > w)) w = t;
    };
    if (this.#o.pipeline.receives === true) raise(inputWatermarkMs);
    else {
      for (const r of records) raise(r.arrivalMs);
      raise(idleAtMs);
    }
    return w;
  }

  /** Sends the batch's exchange emission, every partition's chunks, and returns once all are durable. */
  async #send(
    shardId: string,
    batchNo: number,
    watermarkMs: number | null,
    eventMs: number | null | undefined,
    perPartition: readonly TimedElement[][],
    end: boolean,
    children: readonly string[] | undefined,
  ): Promise<void> {
    const sends = this.#o.pipeline.sends!;
    const writer = this.#o.exchangeWriter;
    if (writer === undefined) throw new SluiceError(`stage ${this.#o.app} ends at an exchange but was given no exchange writer`);
    const chunks = buildChunks({
      origin: shardId,
      batchNo,
      watermarkMs,
      eventMs,
      perPartition,
      progress: sends.progress,
      end,
      ...(children === undefined ? {} : { children }),
      targetBytes: this.#o.exchangeChunkBytes,
    });
    await mapLimited(
      chunks.map((c, p) => [p, c] as const).filter(([, c]) => c.length > 0),
      8,
      ([p, c]) => writer.put(p, c.map(encodeChunk)),
    );
  }

  /** Runs the batch; a failure goes to the failure policy, which rethrows it or sets the batch aside. */
  async #runOrSetAside(
    snapshot: ShardSnapshot,
    batch: WalBatch,
    replayed: boolean,
    input: ProcessInput,
    states?: Promise<Map<string, OperatorState>>,
  ): Promise<BatchStats | 'fenced' | 'raced'> {
    try {
      return await this.#runAndCommit(snapshot, batch, replayed, input, states);
    } catch (error) {
      // The failed attempt mutated the cached state: drop it, the next read reloads.
      this.#reader.forget(snapshot.shardId);
      if (error instanceof FencedError) return 'fenced';
      if (error instanceof ReadRaceError) return 'raced';
      if (this.#o.failurePolicy === undefined) throw error;
      try {
        const stats = await this.#o.failurePolicy.onBatchFailure({ snapshot, batch, error });
        this.#o.metrics?.batchCommitted(stats);
        return stats;
      } catch (policyError) {
        if (policyError instanceof FencedError) return 'fenced';
        throw policyError;
      }
    }
  }

  /**
   * Steps 3 to 6: compute over the batch's records; write its state delta (or a snapshot) and emit,
   * both before the commit; commit offsets and the state manifest in one fenced transaction; report.
   */
  async #runAndCommit(
    snapshot: ShardSnapshot,
    batch: WalBatch,
    replayed: boolean,
    input: ProcessInput,
    preloaded?: Promise<Map<string, OperatorState>>,
  ): Promise<BatchStats> {
    const { app, pipeline, clock, checkpoints, objects } = this.#o;
    const startedMs = clock.nowMs();
    const { header: h, records } = batch;
    const shardId = snapshot.shardId;
    const inherited = pipeline.receives === true && snapshot.checkpoint === undefined ? await this.#inherit(shardId, input.sourceId) : undefined;
    const states = inherited?.states ?? (await (preloaded ?? this.#reader.states(snapshot)));
    const previousExchange = snapshot.checkpoint?.exchange ?? inherited?.checkpoint.exchange;
    const received =
      pipeline.receives === true
        ? decodeExchangeBatch(
            records,
            previousExchange?.received ?? {},
            h.origins ?? this.#exchangeOrigins(),
            pipeline.receivesEventTime === true,
            previousExchange?.partition,
          )
        : undefined;
    const decoded = received?.decoded ?? decodeRecords(records, pipeline.input, this.#o.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
    const computation = pipeline.run(decoded.elements, states, h.createdAt, decoded.arrivalsMs, h.idleAtMs, received?.inputWatermarkMs);
    const previous = snapshot.checkpoint?.state;
    const stateWrite = await prepareStateWrite({
      app,
      shardId,
      batchNo: h.batchNo,
      manifest: previous ?? EMPTY_MANIFEST,
      states,
      tagged: !this.#walEnabled,
      policy: this.#o.snapshotPolicy,
      forceSnapshot: inherited !== undefined,
    });
    if (stateWrite !== undefined) this.#o.stateBudget?.check(shardId, stateWrite.manifest);

    // The state object and the sinks before the commit, side by side: a crash re-runs both with the
    // same batch, which writes the same object (create-only: finding it is fine) and the same outputs.
    const [set] = await Promise.all([
      emitBatch({ app, shardId, batchNo: h.batchNo, batchTimeMs: h.createdAt, records, decoded, computation, objects, output: this.#o.output }),
      stateWrite === undefined ? undefined : objects.putIfAbsent(stateWrite.key, stateWrite.body),
    ]);

    // The exchange after the sinks: a batch a sink keeps failing on is set aside before it sent anything.
    let exchange: CheckpointExchange | undefined =
      received === undefined
        ? undefined
        : {
            received: received.state,
            ...(received.partition === undefined ? {} : { partition: received.partition }),
            ...(inherited === undefined ? {} : { inheritedFrom: inherited.from }),
          };
    let exchangeSetAside = 0;
    if (pipeline.sends !== undefined) {
      const sentPartitions = previousExchange?.sentPartitions;
      if (sentPartitions !== undefined && sentPartitions !== pipeline.sends.partitions) {
        throw new ConfigError(
          'keyBy({ partitions })',
          `stage ${app} sent to ${sentPartitions} partitions and now has ${pipeline.sends.partitions}: keys would move away from their state; run the pipeline under a new app name (docs/decisions/0015)`,
        );
      }
      const inputEnded = received?.inputWatermarkMs === Infinity;
      const sentWatermarkMs = this.#progress(
        previousExchange?.sentWatermarkMs ?? null,
        records,
        h.idleAtMs,
        inputEnded ? undefined : received?.inputWatermarkMs,
      );
      const end = h.endOfInput === true || inputEnded;
      // The end marker goes once; new records after it (a file appended to) take it back.
      const ended = end || (previousExchange?.ended === true && records.length === 0);
      // An element too big for a Kinesis record would fail the batch at every attempt: set it aside instead.
      const { fit: perPartition, oversized } = withoutOversized(exchangeItems(computation.outputs, pipeline.sends.partitions));
      if (oversized.length > 0) {
        await new Quarantine(objects).writeNamed(
          oversized.map((o) => ({
            name: `exchange-p${o.partition}-${String(o.index).padStart(6, '0')}`,
            entry: {
              app,
              shardId,
              batchNo: h.batchNo,
              stage: 'exchange',
              reason: `an element of ${o.bytes.toLocaleString('en-US')} bytes of JSON is larger than a Kinesis record allows (${MAX_ELEMENT_BYTES.toLocaleString('en-US')}): it cannot cross the exchange to partition ${o.partition}`,
              element: o.json,
            },
          })),
        );
        this.#o.metrics?.recordsQuarantined?.(shardId, oversized.length);
        exchangeSetAside = oversized.length;
      }
      // An event-time window after the exchange: the greatest event time this origin ever sent.
      const sentEventMs = pipeline.sends.eventTime === true ? maxTime(previousExchange?.sentEventMs ?? null, perPartition) : undefined;
      await this.#send(shardId, h.batchNo, sentWatermarkMs, sentEventMs, perPartition, end && previousExchange?.ended !== true, h.children);
      exchange = {
        ...exchange,
        sentWatermarkMs,
        ...(sentEventMs === undefined ? {} : { sentEventMs }),
        ...(ended ? { ended: true as const } : {}),
        sentPartitions: pipeline.sends.partitions,
      };
    }

    const stats: BatchStats = {
      app,
      shardId,
      batchNo: h.batchNo,
      batchTimeMs: h.createdAt,
      records: records.length,
      quarantined: set.records,
      ...(set.elements + exchangeSetAside > 0 ? { quarantinedElements: set.elements + exchangeSetAside } : {}),
      processingMs: clock.nowMs() - startedMs,
      schedulingDelayMs: input.schedulingDelayMs ?? 0,
      millisBehind: input.millisBehind,
      rateLimit: h.rateLimit,
      replayed,
      ...(stateWrite === undefined ? {} : { stateObject: { kind: stateWrite.kind, bytes: stateWrite.body.length } }),
    };
    const commitStartMs = clock.nowMs();
    const commit = buildCommit({
      app,
      snapshot,
      pipeline,
      states,
      manifest: stateWrite?.manifest ?? previous,
      header: h,
      stats,
      nowMs: commitStartMs,
      sourceId: input.sourceId,
      exchange,
    });
    await checkpoints.transact(commit.writes);
    const commitMs = clock.nowMs() - commitStartMs;
    this.#reader.committed(shardId, commit.checkpoint, states);
    // A committed snapshot supersedes every older state object of the shard.
    if (stateWrite?.kind === 'snapshot' && previous?.snapshot !== undefined) {
      const sweep = sweepDue(h.batchNo, previous.snapshot.batchNo, replayed);
      await collectStateGarbage(objects, app, shardId, h.batchNo, previous, sweep).catch((error: unknown) => this.#o.onGarbageError?.(error));
    }
    // The processing time is the one the checkpoint keeps (what `sluice status`, the UI and the
    // controller read); the commit's own round trip is reported beside it.
    const done: BatchStats = { ...stats, commitMs };
    this.#o.metrics?.batchCommitted(done);
    return done;
  }
}

/** What an idle tick may also say (see {@link MicroBatchProcessor.idleTick}). */
export interface IdleTickOptions {
  /**
   * The shard's input ended (a drained finite input, a closed shard read to its end): a sending
   * stage sends its end marker, once.
   */
  readonly endOfInput?: boolean;
  /** With `endOfInput`, a closed shard's children: its end marker names them, so the stage after the exchange waits for them (docs/decisions/0015, Resharding). */
  readonly children?: readonly string[];
  /**
   * The caller read the shard from its start and found nothing: a shard with no committed offset may
   * tick, so that an empty shard (a child of a split that gets no records) does not hold the windows
   * after an exchange back forever. Without it, a shard never committed does not tick.
   */
  readonly neverRead?: boolean;
  /** The source the shard belongs to, kept in the checkpoint a first tick creates. */
  readonly sourceId?: string;
}

interface Allocation {
  readonly batch: WalBatch;
  readonly replayed: boolean;
  readonly deferredFromSeq: string | undefined;
  /** The gate's scheduling delay for a new batch, when it defines one. */
  readonly schedulingDelayMs: number | undefined;
}

interface GateResult {
  readonly granted: number;
  readonly limiter: LimiterState | undefined;
  readonly rateLimit: number | undefined;
  readonly waitMs: number;
  readonly schedulingDelayMs: number | undefined;
}

function header(
  app: string,
  shard: string,
  batchNo: number,
  records: SourceRecord[],
  createdAt: number,
  limiter: LimiterState | undefined,
  rateLimit: number | undefined,
): WalHeader {
  return { app, shard, batchNo, firstSeq: records[0]!.seq, lastSeq: records[records.length - 1]!.seq, count: records.length, createdAt, limiter, rateLimit };
}

/**
 * Refuses records of another source than the one the shard's offsets were committed from (another
 * file under the same checkpoint directory, another stream under the same app): their sequence
 * numbers would be compared with offsets of a different log, and those at or below the committed
 * one would be dropped as redeliveries without a trace.
 */
function checkSameSource(app: string, snapshot: ShardSnapshot, sourceId: string | undefined): void {
  const checkpoint = snapshot.checkpoint;
  if (sourceId === undefined || checkpoint?.sourceId === undefined || checkpoint.sourceId === sourceId) return;
  throw sourceMismatchError(app, snapshot.shardId, checkpoint, sourceId, '--app, --checkpoint-dir');
}

function sortedCopy(records: readonly SourceRecord[]): SourceRecord[] {
  const copy = [...records];
  for (let i = 1; i < copy.length; i++) {
    if (compareSeq(copy[i - 1]!.seq, copy[i]!.seq) >= 0)
      return copy.sort((a, b) => compareSeq(a.seq, b.seq)).filter((r, j, all) => j === 0 || r.seq !== all[j - 1]!.seq);
  }
  return copy;
}

/** The batch's `exchange` emission: the `[element, time]` pairs routed to each partition. */
function exchangeItems(outputs: readonly { op: { kind: string }; items: unknown[] }[], partitions: number): TimedElement[][] {
  const emission = outputs.find((o) => o.op.kind === 'exchange') as { op: ExchangeOutput; items: unknown[] } | undefined;
  return (emission?.items ?? Array.from({ length: partitions }, () => [])) as TimedElement[][];
}

/** The greatest of `previous` and every time in `perPartition`; null when there is none. */
function maxTime(previous: number | null, perPartition: readonly (readonly TimedElement[])[]): number | null {
  let max = previous;
  for (const elements of perPartition) for (const [, t] of elements) if (max === null || t > max) max = t;
  return max;
}
