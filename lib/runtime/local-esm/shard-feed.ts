import type { SourceRecord } from '../../core/source-record';
import type { BatchOutcome } from './batch-outcome';
import { MAX_INVOCATION_PAYLOAD_BYTES, type ResolvedEsmSettings } from './esm-settings';

/** A batch handed to the handler, and how many times the records at its head failed before. */
export interface FeedBatch {
  readonly records: readonly SourceRecord[];
  /** Consecutive failed deliveries of this batch's first record (0 on the first delivery). */
  readonly retries: number;
}

/** What settling a batch did: the records it gave up on when retries ran out. */
export interface SettleResult {
  readonly discarded: readonly SourceRecord[];
  readonly retry: boolean;
}

/**
 * One shard's side of the event source mapping: the records read but not yet checkpointed, and the
 * rules that cut them into batches and move the checkpoint.
 *
 * - A batch holds at most `batchSize` records and 6 MB of event. Without a pending retry it is cut
 *   once full, once the batching window (from the first buffered record) has passed, or at the end
 *   of the shard.
 * - A failed batch is delivered again as it was (its records only); with bisect on, a function
 *   error splits it in two halves delivered one after the other, and the split costs no retry.
 * - A partial response checkpoints before the lowest failed record; the rest is delivered again
 *   (with bisect on, only the failed batch's remaining records, else a new batch from there).
 * - After `maximumRetryAttempts` retries the batch (or what remains of it) is discarded and the
 *   checkpoint moves past it. Retries are counted per first record, as Lambda tracks them per record:
 *   a partial response retries "based on your retry strategy" like a failure, but one that moved the
 *   checkpoint starts the count again at the new first record (which failed once). AWS does not say
 *   more; this reading never discards a shard that makes progress, such as one the rate limit defers.
 */
export class ShardFeed {
  readonly #settings: ResolvedEsmSettings;
  readonly #bytesOf: (record: SourceRecord) => number;
  /** Records after the checkpoint, in sequence order, with their event bytes. */
  #buffer: Array<{ record: SourceRecord; bytes: number }> = [];
  /** Sizes of forced batches at the head of the buffer (retries and bisected halves). */
  #pieces: number[] = [];
  #retries = 0;
  #windowStartMs: number | undefined;
  #checkpoint: string | undefined;
  #readPosition: string | undefined;

  constructor(settings: ResolvedEsmSettings, startAfter: string | undefined, bytesOf: (record: SourceRecord) => number) {
    this.#settings = settings;
    this.#bytesOf = bytesOf;
    this.#checkpoint = startAfter;
    this.#readPosition = startAfter;
  }

  /** Last sequence number acknowledged: the handler succeeded on it, or it was discarded. */
  get checkpoint(): string | undefined {
    return this.#checkpoint;
  }

  /** Last sequence number read from the source: the next read starts after it. */
  get readPosition(): string | undefined {
    return this.#readPosition;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Records the next read may add without overfilling one batch. */
  get room(): number {
    return Math.max(0, this.#settings.batchSize - this.#buffer.length);
  }

  append(records: readonly SourceRecord[], nowMs: number): void {
    if (records.length === 0) return;
    if (this.#buffer.length === 0) this.#windowStartMs = nowMs;
    for (const record of records) this.#buffer.push({ record, bytes: this.#bytesOf(record) });
    this.#readPosition = records[records.length - 1]!.seq;
  }

  /** The batch to deliver now, or `undefined` while the batching window is still gathering records. */
  next(nowMs: number, endOfShard: boolean): FeedBatch | undefined {
    if (this.#buffer.length === 0) return undefined;
    const forced = this.#pieces[0];
    const full = this.#buffer.length >= this.#settings.batchSize || this.#cut(this.#settings.batchSize) < this.#buffer.length;
    const windowOver = nowMs >= this.#windowDeadline();
    // A retry goes out at once; a first delivery waits for a full batch, the window or the shard's end.
    if (forced === undefined && this.#retries === 0 && !full && !windowOver && !endOfShard) return undefined;
    const count = this.#cut(forced ?? this.#settings.batchSize);
    return { records: this.#buffer.slice(0, count).map((b) => b.record), retries: this.#retries };
  }

  /** Milliseconds until the batching window closes (0 when it has, or nothing waits). */
  waitMs(nowMs: number): number {
    if (this.#buffer.length === 0) return 0;
    return Math.max(0, this.#windowDeadline() - nowMs);
  }

  /** Applies the handler's outcome for `batch` (the one {@link next} returned). */
  settle(batch: FeedBatch, outcome: BatchOutcome, nowMs: number): SettleResult {
    const n = batch.records.length;
    const wasPiece = this.#pieces.length > 0;
    if (outcome.kind === 'success') {
      this.#retries = 0;
      this.#ack(n, wasPiece, nowMs);
      return { discarded: [], retry: false };
    }
    if (outcome.kind === 'failure' && outcome.functionError && this.#settings.bisectBatchOnFunctionError && n > 1) {
      // Splits cost no retry: the halves inherit the count and go out one after the other.
      const half = Math.ceil(n / 2);
      this.#pieces.splice(0, wasPiece ? 1 : 0, half, n - half);
      return { discarded: [], retry: true };
    }
    const done = outcome.kind === 'partial' ? outcome.fromIndex : 0;
    if (done > 0) this.#ack(done, wasPiece, nowMs);
    const remaining = n - done;
    // The count follows the first undelivered record: a new one (the checkpoint moved) has failed once.
    this.#retries = done > 0 ? 1 : this.#retries + 1;
    const { maximumRetryAttempts } = this.#settings;
    if (maximumRetryAttempts >= 0 && this.#retries > maximumRetryAttempts) {
      const discarded = this.#buffer.slice(0, remaining).map((b) => b.record);
      this.#retries = 0;
      this.#ack(remaining, wasPiece, nowMs);
      return { discarded, retry: false };
    }
    // A whole-batch failure, or a partial one under bisect, is retried with exactly its records;
    // any other partial failure starts a new batch at the failed record.
    const forceRemaining = outcome.kind === 'failure' || this.#settings.bisectBatchOnFunctionError || wasPiece;
    if (forceRemaining) this.#pieces.splice(0, wasPiece ? 1 : 0, remaining);
    return { discarded: [], retry: true };
  }

  /** Drops the first `count` buffered records as done and checkpoints after them. */
  #ack(count: number, consumesPiece: boolean, nowMs: number): void {
    this.#checkpoint = this.#buffer[count - 1]!.record.seq;
    this.#buffer = this.#buffer.slice(count);
    if (consumesPiece) {
      const rest = (this.#pieces[0] ?? 0) - count;
      if (rest > 0) this.#pieces[0] = rest;
      else this.#pieces.shift();
    }
    this.#windowStartMs = this.#buffer.length > 0 ? nowMs : undefined;
  }

  /** How many head records fit in a batch of at most `limit` records and the payload limit (at least one). */
  #cut(limit: number): number {
    let bytes = 2;
    let count = 0;
    for (const { bytes: b } of this.#buffer) {
      if (count === limit || (count > 0 && bytes + b > MAX_INVOCATION_PAYLOAD_BYTES)) break;
      bytes += b;
      count++;
    }
    return count;
  }

  #windowDeadline(): number {
    return (this.#windowStartMs ?? 0) + this.#settings.maximumBatchingWindowInSeconds * 1000;
  }
}
