import type { BatchStats } from '../../core/batch-stats';
import { DEFAULT_MAX_BATCH_ATTEMPTS } from '../../core/defaults';
import type { CompiledPipeline } from '../../core/engine/compile-pipeline';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { Clock } from '../../ports/clock';
import type { ObjectStore } from '../../ports/object-store';
import type { OutputSink } from '../../ports/output-sink';
import { BatchRetryPolicy } from '../failures/batch-retry-policy';
import { isFatalError } from '../failures/is-fatal-error';
import { isTransientError } from '../failures/is-transient-error';
import { MicroBatchProcessor } from '../protocol/micro-batch-processor';
import { planReplay } from './plan-replay';
import { readWalBatch } from '../protocol/read-wal-batch';
import { startReplayStatus } from './replay-status';
import type { WalBatch } from '../protocol/wal-codec';

/** Options of {@link replayWal}. */
export interface ReplayOptions {
  /** The app whose WAL is replayed, its objects, and its checkpoint (which the WAL must agree with). */
  readonly source: { readonly app: string; readonly objects: ObjectStore; readonly checkpoints: CheckpointStore };
  /** The fresh app that receives the state: its own checkpoint and object stores. */
  readonly target: { readonly app: string; readonly checkpoints: CheckpointStore; readonly objects: ObjectStore };
  /** The pipeline to run: the original one, or a new version of it (reprocessing). */
  readonly pipeline: CompiledPipeline;
  /** First batch time replayed (ms since the epoch, inclusive). @default - the oldest batch kept */
  readonly fromMs?: number;
  /** Batch time where the replay stops (exclusive). @default - the newest batch */
  readonly toMs?: number;
  /** @default - every shard of the source app */
  readonly shardIds?: readonly string[];
  readonly output?: OutputSink;
  /** Attempts of a failing batch before it is quarantined in the target app. @default DEFAULT_MAX_BATCH_ATTEMPTS */
  readonly maxBatchAttempts?: number;
  readonly onBatch?: (stats: BatchStats) => void;
}

/** What a replay did. */
export interface ReplaySummary {
  readonly shards: number;
  /** WAL batches of the source replayed (the committed ones in the time range). */
  readonly batches: number;
  readonly records: number;
  /** Target batches committed (fewer than `batches` when a resumed replay found some done). */
  readonly committed: number;
}

/**
 * `sluice replay`: re-runs the source app's WAL batches whose batch time lies in [from, to) into a
 * fresh app's state — reprocessing beyond the stream's retention (docs/architecture.md §5).
 *
 * First the WAL is checked against the source app's checkpoint ({@link planReplay}): a missing or
 * unreadable batch stops the replay before it writes anything. The new app's `replay#status` item
 * says whether its replay finished ({@link ReplayStatus}).
 *
 * Each source batch becomes one target batch with the same records and the same batch time (the
 * replay's clock stands at the WAL header's `createdAt`), so windows and timeouts see what the
 * original saw, and replaying every batch yields the original's state. The target is an ordinary
 * app — WAL, fenced commits — so a replay killed midway resumes where it stopped when run again:
 * records at or below the target's committed sequence number are dropped as redeliveries.
 */
export async function replayWal(o: ReplayOptions): Promise<ReplaySummary> {
  const clock = new ReplayClock();
  const { target, pipeline } = o;
  // Everything is checked before the first write: a gap or a bad object leaves the new app untouched.
  const plan = await planReplay({ source: o.source, targetApp: target.app, fromMs: o.fromMs, toMs: o.toMs, shardIds: o.shardIds });
  const failurePolicy = new BatchRetryPolicy({
    app: target.app,
    pipeline,
    checkpoints: target.checkpoints,
    objects: target.objects,
    clock,
    maxAttempts: o.maxBatchAttempts,
  });
  const processor = new MicroBatchProcessor({
    app: target.app,
    pipeline,
    checkpoints: target.checkpoints,
    objects: target.objects,
    clock,
    output: o.output,
    failurePolicy,
  });
  const finished = await startReplayStatus(target.checkpoints, target.app, { sourceApp: o.source.app, fromMs: o.fromMs, toMs: o.toMs });
  let records = 0;
  let committed = 0;
  for (const step of plan.steps) {
    const batch = await readWalBatch(o.source.objects, o.source.app, step.shardId, step.batchNo);
    clock.nowAt = batch.header.createdAt;
    const result = await processOnce(processor, step.shardId, batch, (o.maxBatchAttempts ?? DEFAULT_MAX_BATCH_ATTEMPTS) + 1);
    records += batch.records.length;
    committed += result.length;
    for (const stats of result) o.onBatch?.(stats);
  }
  await finished(plan.steps.length);
  return { shards: plan.shards.length, batches: plan.steps.length, records, committed };
}

/** First wait after a transient failure; doubled on each further one. */
export const RETRY_BASE_DELAY_MS = 100;

/**
 * Tries a batch until it commits or is set aside: the failure policy quarantines a batch that keeps
 * failing, transient errors are waited out with a doubling delay.
 */
export async function processOnce(processor: MicroBatchProcessor, shardId: string, batch: WalBatch, maxTries: number): Promise<BatchStats[]> {
  const { idleAtMs } = batch.header;
  for (let attempt = 1; ; attempt++) {
    try {
      // An idle tick is replayed as a tick, at the same idle time: its windows close as they did.
      // An end marker of a sending stage is replayed as one (with a closed shard's children), and a
      // tick of a shard never read ticks again from the start; a single-stage pipeline sends nothing.
      if (batch.records.length === 0 && idleAtMs !== undefined) {
        const { endOfInput, children, lastSeq } = batch.header;
        const tick = await processor.idleTick(shardId, idleAtMs, {
          ...(endOfInput === true ? { endOfInput: true, ...(children === undefined ? {} : { children }) } : {}),
          ...(lastSeq === null ? { neverRead: true } : {}),
        });
        return tick === undefined ? [] : [tick];
      }
      return (await processor.process({ shardId, records: batch.records })).batches;
    } catch (error) {
      if (isFatalError(error) || attempt >= maxTries) throw error;
      if (isTransientError(error)) await new Promise((resolve) => setTimeout(resolve, RETRY_BASE_DELAY_MS * 2 ** (attempt - 1)));
    }
  }
}

/**
 * The replay's clock: it stands at the batch time of the batch being replayed. Its `sleep` returns at
 * once, unless `backoffMs` asks the next one to wait that long (a stage that failed, retried).
 */
export class ReplayClock implements Clock {
  nowAt = 0;
  backoffMs = 0;

  nowMs(): number {
    return this.nowAt;
  }

  async sleep(): Promise<void> {
    const ms = this.backoffMs;
    this.backoffMs = 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }
}
