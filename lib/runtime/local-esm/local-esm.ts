import { SluiceError } from '../../core/errors';
import type { Clock } from '../../ports/clock';
import type { ShardInfo, Source } from '../../ports/source';
import { isTransientError } from '../failures/is-transient-error';
import { describeDiscarded, type DiscardedBatch } from './discarded-batch';
import { resolveEsmSettings, type EsmSettings, type ResolvedEsmSettings } from './esm-settings';
import { invokeBatch, type EsmHandler, type InvocationReport } from './invoke-batch';
import { eventRecordBytes, type EventSourceInfo } from './kinesis-event';
import { ShardFeed } from './shard-feed';
import { sleepUnlessAborted } from '../local-driver/sleep-unless-aborted';

export type { EsmHandler, InvocationReport };

/** Options of {@link LocalEsm}: the mapping's settings plus where to read and what to call. */
export interface LocalEsmOptions extends EsmSettings {
  readonly source: Source;
  readonly handler: EsmHandler;
  readonly clock: Clock;
  /** Stamped on every event record; see `streamArn()`. */
  readonly eventSourceArn: string;
  /**
   * Where each shard starts: after the returned sequence number, or at the trim horizon.
   * @default - TRIM_HORIZON for every shard
   */
  readonly startAfter?: (shardId: string) => Promise<string | undefined>;
  /** Pause between polls of a shard that had nothing new (AWS polls about once a second). @default 1000 */
  readonly pollIntervalMs?: number;
  /** Pause before a failed batch is delivered again. @default 1000 */
  readonly retryDelayMs?: number;
  /** How often the shard list is refreshed to find children of a split or merge. @default 10_000 */
  readonly shardSyncIntervalMs?: number;
  /** Called after every invocation (the live view). */
  readonly onInvoke?: (report: InvocationReport) => void;
  /** Called when retries ran out and records were skipped (an on-failure destination). */
  readonly onDiscard?: (batch: DiscardedBatch) => void;
}

/** Why and where {@link LocalEsm.run} stopped. */
export interface EsmRunSummary {
  readonly stoppedBy: 'drained' | 'signal';
  readonly invocations: number;
  readonly discarded: readonly DiscardedBatch[];
  /** Last acknowledged sequence number per shard. */
  readonly checkpoints: Readonly<Record<string, string | undefined>>;
}

interface ShardRun {
  readonly info: ShardInfo;
  idle: boolean;
  finished: boolean;
  checkpoint: string | undefined;
  done?: Promise<void>;
}

/**
 * A Kinesis event source mapping in-process, for `sluice dev` and tests: no emulator runs Lambda's
 * batching semantics, so this one is written against the documented behaviour (docs/architecture.md §8).
 *
 * One loop per shard reads through a {@link Source}, cuts batches with {@link ShardFeed} (BatchSize,
 * batching window, 6 MB), invokes the handler with the exact AWS event shape and moves the shard's
 * checkpoint by the response: ReportBatchItemFailures, retries, bisect. A shard has at most one batch
 * in flight, and a child shard starts only once its parents reached their end and were fully acknowledged.
 *
 * @example
 * const esm = new LocalEsm({ source, handler, clock, eventSourceArn: streamArn('us-east-1', 'words'), reportBatchItemFailures: true });
 * await esm.run({ untilDrained: true });
 */
export class LocalEsm {
  readonly #o: LocalEsmOptions;
  readonly #settings: ResolvedEsmSettings;
  readonly #shards = new Map<string, ShardRun>();
  readonly #stop = new AbortController();
  readonly #discarded: DiscardedBatch[] = [];
  #invocations = 0;
  #stoppedBy: EsmRunSummary['stoppedBy'] = 'signal';
  #failure: unknown;
  #untilDrained = false;
  #started = false;

  constructor(options: LocalEsmOptions) {
    this.#o = options;
    this.#settings = resolveEsmSettings(options);
  }

  /**
   * Polls and invokes until `signal` aborts or, with `untilDrained`, every shard is read and
   * acknowledged. In-flight invocations finish first. An instance runs once.
   */
  async run(options: { signal?: AbortSignal; untilDrained?: boolean } = {}): Promise<EsmRunSummary> {
    if (this.#started) throw new SluiceError('a LocalEsm runs once: create a new one to run again');
    this.#started = true;
    this.#untilDrained = options.untilDrained ?? false;
    const abort = (): void => this.#stop.abort();
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      await this.#sync();
      const syncEveryMs = this.#o.shardSyncIntervalMs ?? 10_000;
      let nextSyncMs = this.#o.clock.nowMs() + syncEveryMs;
      while (!this.#stop.signal.aborted) {
        // Short naps: a Clock sleep cannot be cancelled, and a pending one would hold the process after a stop.
        await this.#sleep(Math.max(1, Math.min(this.#o.pollIntervalMs ?? 1_000, nextSyncMs - this.#o.clock.nowMs())));
        if (this.#stop.signal.aborted || this.#o.clock.nowMs() < nextSyncMs) continue;
        await this.#sync().catch((error: unknown) => this.#retryable(error));
        nextSyncMs = this.#o.clock.nowMs() + syncEveryMs;
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      options.signal?.removeEventListener('abort', abort);
      await Promise.all([...this.#shards.values()].map((s) => s.done));
    }
    if (this.#failure !== undefined) throw this.#failure;
    const checkpoints = Object.fromEntries([...this.#shards].map(([id, s]) => [id, s.checkpoint]));
    return { stoppedBy: this.#stoppedBy, invocations: this.#invocations, discarded: [...this.#discarded], checkpoints };
  }

  /** Starts a loop for every listed shard not seen before; parents are listed first. */
  async #sync(): Promise<void> {
    for (const info of await this.#o.source.listShards()) {
      if (this.#shards.has(info.shardId)) continue;
      const run: ShardRun = { info, idle: false, finished: false, checkpoint: undefined };
      this.#shards.set(info.shardId, run);
      run.done = this.#runShard(run).catch((error: unknown) => this.#fail(error));
    }
  }

  async #runShard(run: ShardRun): Promise<void> {
    const { shardId } = run.info;
    const { source, clock } = this.#o;
    const poll = this.#o.pollIntervalMs ?? 1_000;
    // Parent before child: per-key order survives a split or merge only if the parent is drained first.
    while (!run.info.parentShardIds.every((p) => this.#shards.get(p)?.finished ?? true)) {
      if (this.#stop.signal.aborted) return;
      await this.#sleep(poll);
    }
    const eventSource: EventSourceInfo = { shardId, eventSourceArn: this.#o.eventSourceArn };
    const feed = new ShardFeed(this.#settings, await this.#o.startAfter?.(shardId), (r) => eventRecordBytes(r, eventSource));
    run.checkpoint = feed.checkpoint;
    let endOfShard = false;
    let caughtUp = false;
    while (!this.#stop.signal.aborted) {
      run.idle = false;
      if (feed.room > 0 && !endOfShard) {
        const room = feed.room;
        const read = await source.read(shardId, feed.readPosition, room).catch((error: unknown) => this.#retryable(error));
        if (read === undefined) {
          await this.#sleep(this.#o.retryDelayMs ?? 1_000);
          continue;
        }
        feed.append(read.records, clock.nowMs());
        endOfShard = read.endOfShard;
        caughtUp = read.records.length < room && (read.millisBehind ?? 0) === 0;
      }
      const batch = feed.next(clock.nowMs(), endOfShard);
      if (batch !== undefined) {
        this.#invocations++;
        const report = await invokeBatch(this.#o.handler, batch.records, batch.retries, eventSource, clock, this.#settings.reportBatchItemFailures);
        this.#o.onInvoke?.(report);
        const settled = feed.settle(batch, report.outcome, clock.nowMs());
        run.checkpoint = feed.checkpoint;
        if (settled.discarded.length > 0) this.#discard(describeDiscarded(shardId, this.#o.eventSourceArn, settled.discarded));
        if (settled.retry) await this.#sleep(this.#o.retryDelayMs ?? 1_000);
        continue;
      }
      if (endOfShard && feed.buffered === 0) {
        run.finished = true;
        run.idle = true;
        await this.#checkDrained();
        return;
      }
      if (feed.buffered === 0 && caughtUp) {
        run.idle = true;
        await this.#checkDrained();
      }
      await this.#sleep(Math.max(1, feed.buffered > 0 ? Math.min(poll, feed.waitMs(clock.nowMs())) : poll));
    }
  }

  /** Stops when every shard is idle or finished, after one more listing finds no new shard. */
  async #checkDrained(): Promise<void> {
    const allQuiet = (): boolean => [...this.#shards.values()].every((s) => s.idle || s.finished);
    if (!this.#untilDrained || !allQuiet()) return;
    await this.#sync();
    if (allQuiet() && !this.#stop.signal.aborted) {
      this.#stoppedBy = 'drained';
      this.#stop.abort();
    }
  }

  #discard(batch: DiscardedBatch): void {
    this.#discarded.push(batch);
    this.#o.onDiscard?.(batch);
  }

  /** Swallows a transient error (throttle, 5xx, network: the caller waits and tries again); rethrows anything else. */
  #retryable(error: unknown): undefined {
    if (isTransientError(error)) return undefined;
    throw error;
  }

  #fail(error: unknown): void {
    this.#failure ??= error;
    this.#stop.abort();
  }

  async #sleep(ms: number): Promise<void> {
    await sleepUnlessAborted(this.#o.clock, ms, this.#stop.signal);
  }
}
