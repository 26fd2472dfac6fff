import { CorruptDataError, SluiceError } from '../../../core/errors';
import type { SourceRecord } from '../../../core/source-record';
import type { Clock } from '../../../ports/clock';
import type { ObjectStore } from '../../../ports/object-store';
import type { SourceLedger } from '../../../ports/source-ledger';
import { parseLocalSeq } from './parse-seq';
import { decodeBlock, encodeBlock, firstSeqOfKey, receivedBlockKey, receivedPrefix, type ReceivedRecord } from './received-block';

/** Spark's `spark.streaming.blockInterval`: received data is cut into blocks every 200 ms. */
export const DEFAULT_BLOCK_INTERVAL_MS = 200;

/** Records per block at most: bounds a block (~1 MB of typical lines) and a receiver's unflushed memory. */
export const DEFAULT_MAX_BLOCK_RECORDS = 10_000;

/** Options of {@link ReceiverLog}. */
export interface ReceiverLogOptions {
  readonly store: ObjectStore;
  readonly app: string;
  readonly shardId: string;
  /** Stamps `arrivalMs` and paces the periodic flush. */
  readonly clock: Clock;
  /** @default {@link DEFAULT_BLOCK_INTERVAL_MS} */
  readonly blockIntervalMs?: number;
  /** A block is cut as soon as this many records wait. @default {@link DEFAULT_MAX_BLOCK_RECORDS} */
  readonly maxBlockRecords?: number;
  /** Told about a failed flush; the records stay buffered and the next flush retries. @default ignore */
  readonly onFlushError?: (error: SluiceError) => void;
  /**
   * The app's checkpoint: {@link ReceiverLog.open} refuses a log that no longer holds every line the
   * app took, or the lines after its committed one. @default - unchecked
   */
  readonly ledger?: SourceLedger;
}

/** What {@link ReceiverLog.append} numbered: seqs `firstSeq..lastSeq` (empty when lastSeq < firstSeq). */
export interface AppendedLines {
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** Resolves once all of them are durable. */
  readonly durable: Promise<void>;
}

/** Records served by {@link ReceiverLog.read}; `caughtUp` when nothing durable is left after them. */
export interface ReceiverLogRead {
  readonly records: SourceRecord[];
  readonly caughtUp: boolean;
}

/**
 * The receiver write-ahead log (Spark's `WriteAheadLogBasedBlockHandler`): it makes inputs that
 * cannot be replayed — stdin, sockets — replayable by sequence number. `append` numbers lines and
 * buffers them; a flush writes them as one create-only block `received/{app}/{shard}/{firstSeq:020}`
 * and only once that write is durable do they count as received: `append(...).durable` resolves
 * and `onDurable` listeners hear of it then — the moment a receiver may acknowledge its sender.
 * Blocks are contiguous (each starts where the previous ended), so a block's last seq is the next
 * block's first minus one, and only the newest block must be opened to continue the sequence.
 *
 * ⚑ No loss: a line is acknowledged only once durable, and durable blocks are deleted only after
 * `committed` says the batches holding them are committed — never the newest, which carries the
 * sequence across a restart. With a `ledger`, `open` checks that this holds against the app's
 * checkpoint: a newest block deleted or cut short by hand would make new lines take the numbers of
 * lines already counted, and the processor would drop them as redeliveries after they were acknowledged.
 */
export class ReceiverLog {
  private readonly store: ObjectStore;
  private readonly blockIntervalMs: number;
  private readonly maxBlockRecords: number;
  /** First seq of every durable block still stored, ascending. */
  private blocks: number[] = [];
  private buffer: ReceivedRecord[] = [];
  /** Pending {@link whenDurable} calls, kept sorted by seq. */
  private waiters: Array<{ seq: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  private readonly listeners = new Set<(durableSeq: number) => void>();
  private lastDurable = 0;
  private retrySize: number | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private cache: { firstSeq: number; records: SourceRecord[] } | undefined;
  private fatal: SluiceError | undefined;
  private state: 'new' | 'open' | 'ended' | 'closed' = 'new';

  constructor(private readonly options: ReceiverLogOptions) {
    this.store = options.store;
    this.blockIntervalMs = options.blockIntervalMs ?? DEFAULT_BLOCK_INTERVAL_MS;
    this.maxBlockRecords = options.maxBlockRecords ?? DEFAULT_MAX_BLOCK_RECORDS;
  }

  /** Last seq that is durable, 0 before the first block. */
  get durableSeq(): number {
    return this.lastDurable;
  }

  /** Records appended but not durable yet. */
  get pendingRecords(): number {
    return this.buffer.length;
  }

  /** True once {@link end} or {@link close} was called and everything appended is durable. */
  get ended(): boolean {
    return this.state !== 'open' && this.state !== 'new' && this.buffer.length === 0;
  }

  /** Finds the blocks of earlier runs, continues their sequence and starts the periodic flush. */
  async open(): Promise<void> {
    if (this.state !== 'new') return;
    const keys = await this.store.list(receivedPrefix(this.options.app, this.options.shardId));
    this.blocks = keys.map(firstSeqOfKey).filter((seq): seq is number => seq !== undefined);
    const newest = this.blocks[this.blocks.length - 1];
    if (newest !== undefined) {
      const records = await this.loadBlock(newest);
      this.lastDurable = Number(records[records.length - 1]!.seq);
    }
    if (this.options.ledger !== undefined) await this.checkPositions(this.options.ledger);
    this.state = 'open';
    void this.flushEvery();
  }

  /**
   * Numbers `lines` and buffers them; `durable` resolves once all of them are durable — the moment
   * a receiver may acknowledge them — and rejects only if another writer owns this log.
   * @throws SluiceError when the log is not open or failed.
   */
  append(lines: readonly Uint8Array[]): AppendedLines {
    if (this.fatal) throw this.fatal;
    if (this.state !== 'open') throw new SluiceError(`receiver log ${this.options.shardId} is not open for appends (${this.state})`);
    const arrivalMs = this.clock.nowMs();
    const firstSeq = this.lastDurable + this.buffer.length + 1;
    for (const [i, data] of lines.entries()) this.buffer.push({ seq: firstSeq + i, arrivalMs, data });
    const lastSeq = firstSeq + lines.length - 1;
    // A full block is written at once; the rest waits for the interval, so blocks stay full under load.
    if (this.buffer.length >= this.maxBlockRecords) void this.flush(true).catch(() => undefined);
    return { firstSeq, lastSeq, durable: this.whenDurable(lastSeq) };
  }

  /** Resolves once every record up to `seq` is durable; rejects if another writer owns this log. */
  whenDurable(seq: number): Promise<void> {
    if (seq <= this.lastDurable) return Promise.resolve();
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise<void>((resolve, reject) => {
      let at = this.waiters.length;
      while (at > 0 && this.waiters[at - 1]!.seq > seq) at--;
      this.waiters.splice(at, 0, { seq, resolve, reject });
    });
  }

  /** Calls `listener` with the new {@link durableSeq} after each durable block; returns the unsubscribe. */
  onDurable(listener: (durableSeq: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Writes the buffered records as blocks (only full ones when `fullBlocksOnly`); resolves when they
   * are durable. One flush at a time.
   */
  flush(fullBlocksOnly = false): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(() => this.writeBlocks(fullBlocksOnly));
    return this.flushing;
  }

  /** Up to `max` durable records after `afterSeq` (from the oldest stored when undefined). */
  async read(afterSeq: string | undefined, max: number): Promise<ReceiverLogRead> {
    if (this.fatal) throw this.fatal;
    let next = afterSeq === undefined ? (this.blocks[0] ?? 1) : parseLocalSeq(afterSeq, this.options.shardId) + 1;
    const oldest = this.blocks[0];
    if (oldest !== undefined && next < oldest) {
      throw new SluiceError(`receiver log ${this.options.shardId}: records ${next}..${oldest - 1} were deleted as committed; cannot replay after ${afterSeq}`);
    }
    const records: SourceRecord[] = [];
    while (records.length < max && next <= this.lastDurable) {
      const firstSeq = blockHolding(this.blocks, next);
      const served = (await this.loadBlock(firstSeq)).slice(next - firstSeq, next - firstSeq + max - records.length);
      // Blocks are contiguous, so a block that does not reach `next` means the store was tampered with.
      if (served[0]?.seq !== String(next)) throw new SluiceError(`receiver log ${this.options.shardId}: record ${next} is missing from block ${firstSeq}`);
      records.push(...served);
      next += served.length;
    }
    return { records, caughtUp: next > this.lastDurable };
  }

  /** Deletes the blocks whose records are all ≤ `seq`, oldest first, always keeping the newest block. */
  async committed(seq: string): Promise<void> {
    const upTo = parseLocalSeq(seq, this.options.shardId);
    let count = 0;
    while (count < this.blocks.length - 1 && this.blocks[count + 1]! - 1 <= upTo) count++;
    // Forgotten before the awaits, so concurrent calls never delete one block twice; deleted oldest
    // first, so a crash midway leaves a contiguous run of blocks that the next open() lists.
    for (const firstSeq of this.blocks.splice(0, count)) {
      await this.store.delete(receivedBlockKey(this.options.app, this.options.shardId, firstSeq));
    }
  }

  /** No more appends: flushes what is buffered; `ended` turns true once that is durable. */
  async end(): Promise<void> {
    if (this.state === 'open') this.state = 'ended';
    await this.flush();
  }

  /** Stops the periodic flush after a last flush of what is buffered. */
  async close(): Promise<void> {
    if (this.state === 'open' || this.state === 'ended') this.state = 'closed';
    await this.flush().catch(() => undefined);
  }

  /**
   * Refuses a log that lost lines the app needs: the newest lines up to what the app has taken (else
   * new lines would be numbered as already counted), or the oldest after what it committed (else
   * they could not be read). Nothing is received before this passes, so nothing is acknowledged.
   */
  private async checkPositions(ledger: SourceLedger): Promise<void> {
    const { committedSeq, takenSeq } = await ledger.positions(this.options.shardId);
    const committed = Number(committedSeq ?? 0);
    const taken = Number(takenSeq ?? 0);
    const where = receivedPrefix(this.options.app, this.options.shardId);
    const fix = `restore the missing blocks, or start over with a new --checkpoint-dir or --app`;
    if (taken > this.lastDurable) {
      throw new CorruptDataError(
        where,
        `the receiver log ends at line ${fmt(this.lastDurable)}, but app ${ledger.app} has taken lines up to ${fmt(taken)}: its newest blocks were deleted or cut short, so new lines would be numbered as lines already counted and dropped; ${fix}`,
      );
    }
    const oldest = this.blocks[0];
    if (oldest !== undefined && oldest > committed + 1) {
      throw new CorruptDataError(
        where,
        `the receiver log starts at line ${fmt(oldest)}, but app ${ledger.app} committed lines up to ${fmt(committed)} only: lines ${fmt(committed + 1)}-${fmt(oldest - 1)} were deleted before they were committed; ${fix}`,
      );
    }
  }

  private get clock(): Clock {
    return this.options.clock;
  }

  private async flushEvery(): Promise<void> {
    while (this.state === 'open') {
      await this.clock.sleep(this.blockIntervalMs);
      await this.flush().catch(() => undefined);
    }
  }

  private async writeBlocks(fullBlocksOnly: boolean): Promise<void> {
    while (this.buffer.length >= (fullBlocksOnly ? this.maxBlockRecords : 1) && !this.fatal) {
      // A retry writes exactly the block that failed, so a write that landed before its error
      // is recognized as ours below instead of looking like a conflict.
      const block = this.buffer.slice(0, this.retrySize ?? this.maxBlockRecords);
      const firstSeq = block[0]!.seq;
      const key = receivedBlockKey(this.options.app, this.options.shardId, firstSeq);
      const body = encodeBlock(block);
      try {
        if (!(await this.store.putIfAbsent(key, body)) && !sameBytes(await this.store.get(key), body)) {
          this.fail(new SluiceError(`receiver log block ${key} exists with other records: another receiver writes ${this.options.shardId}`));
          throw this.fatal;
        }
      } catch (error) {
        if (this.fatal) throw this.fatal;
        this.retrySize = block.length;
        const failure = new SluiceError(`receiver log: writing ${key} failed; retrying at the next flush`, { cause: error, retryable: true });
        this.options.onFlushError?.(failure);
        throw failure;
      }
      // Durable from here: the records are received, the waiters may acknowledge.
      this.retrySize = undefined;
      this.buffer = this.buffer.slice(block.length);
      this.blocks.push(firstSeq);
      this.lastDurable = block[block.length - 1]!.seq;
      while (this.waiters[0] && this.waiters[0].seq <= this.lastDurable) this.waiters.shift()!.resolve();
      for (const listener of this.listeners) listener(this.lastDurable);
    }
  }

  private fail(error: SluiceError): void {
    this.fatal = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private async loadBlock(firstSeq: number): Promise<SourceRecord[]> {
    if (this.cache?.firstSeq === firstSeq) return this.cache.records;
    const key = receivedBlockKey(this.options.app, this.options.shardId, firstSeq);
    const body = await this.store.get(key);
    if (body === undefined) throw new SluiceError(`receiver log block ${key} disappeared; was it deleted by another process?`);
    this.cache = { firstSeq, records: decodeBlock(key, body, this.options.shardId) };
    return this.cache.records;
  }
}

/** First seq of the last block starting at or before `seq` (binary search over ascending starts). */
function blockHolding(blocks: readonly number[], seq: number): number {
  let low = 0;
  let high = blocks.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (blocks[middle]! <= seq) low = middle;
    else high = middle - 1;
  }
  return blocks[low]!;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
