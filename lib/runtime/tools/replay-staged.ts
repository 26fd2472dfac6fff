import type { BatchStats } from '../../core/batch-stats';
import { DEFAULT_MAX_BATCH_ATTEMPTS } from '../../core/defaults';
import { stageApp, type StagedPipeline } from '../../core/engine/compile-stages';
import { SluiceError } from '../../core/errors';
import { BatchRetryPolicy } from '../failures/batch-retry-policy';
import type { RoundResult } from '../local-driver/run-on-schedule';
import { StagedLocalDriver, type StageDriver } from '../local-driver/staged-local-driver';
import { readWalBatch } from '../protocol/read-wal-batch';
import { planReplay, type ReplayStep } from './plan-replay';
import { processOnce, ReplayClock, RETRY_BASE_DELAY_MS, type ReplayOptions, type ReplaySummary } from './replay';
import { startReplayStatus } from './replay-status';

/** Options of {@link replayStagedWal}: those of a one-stage replay, with every stage of the pipeline. */
export interface StagedReplayOptions extends Omit<ReplayOptions, 'pipeline' | 'onBatch'> {
  /** The pipeline, cut into its stages: the original one, or a new version of it. */
  readonly staged: StagedPipeline;
  /** Told about every committed batch of every stage (0: the replayed WAL batches). */
  readonly onBatch?: (stage: number, stats: BatchStats) => void;
}

/** What one stage of a staged replay ran. */
export interface StageReplaySummary {
  /** The stage's app in the target: `{app}`, then `{app}.s{i}`. */
  readonly app: string;
  /** Batches the stage committed. */
  readonly batches: number;
  /** Records the stage read: source records for stage 0, exchange records (chunks) after it. */
  readonly records: number;
}

/** What a staged replay did: the one-stage summary for stage 0's WAL, and every stage's batches. */
export interface StagedReplaySummary extends ReplaySummary {
  readonly stages: readonly StageReplaySummary[];
}

/** The later stages' batch interval: their drivers need one, though the replay's clock never waits for it. */
const REPLAY_INTERVAL_MS = 1_000;

/**
 * `sluice replay` of a pipeline with exchanges (docs/decisions/0015, Replay): stage 0 re-runs the
 * source app's WAL batches in [from, to) as {@link replayWal} does, into the target's stage 0, which
 * sends its chunks to an exchange of the target app (the object-store exchange, in the target's
 * object store); every later stage is an ordinary {@link StagedLocalDriver} stage over that exchange,
 * with its own checkpoint rows and WAL. Each round replays the next WAL batch of every source shard,
 * then runs a round of each later stage, as `sluice run` does; the replay returns once every stage
 * has drained the exchange it reads.
 *
 * Only stage 0's WAL is read: the later stages are rebuilt from what stage 0 sends, so their state
 * equals the original's (a key's total, a window's top 10) whatever batches they were cut into.
 *
 * A replay killed midway resumes when run again: stage 0 drops records at or below its committed
 * sequence numbers as redeliveries, a re-sent chunk is identical to the first and appends are
 * create-only, and the receiving stages drop chunks they applied (their marks are committed with
 * their state), so nothing counts twice.
 */
export async function replayStagedWal(o: StagedReplayOptions): Promise<StagedReplaySummary> {
  const { target, staged } = o;
  if (staged.stages.length < 2) throw new SluiceError(`pipeline ${staged.name} has no exchange: replay it with replayWal`);
  const plan = await planReplay({ source: o.source, targetApp: target.app, fromMs: o.fromMs, toMs: o.toMs, shardIds: o.shardIds });
  if (plan.steps.length === 0) {
    const what = plan.shards.length === 0 ? 'no WAL (is it the app of this pipeline, run with the WAL on?)' : `no WAL batch ${describeRange(o.fromMs, o.toMs)}`;
    throw new SluiceError(`app ${o.source.app}, stage 0 of pipeline ${staged.name}, keeps ${what}; nothing was replayed into app ${target.app}`);
  }
  const clock = new ReplayClock();
  const maxTries = (o.maxBatchAttempts ?? DEFAULT_MAX_BATCH_ATTEMPTS) + 1;
  const stages = staged.stages.map((_, s) => ({ app: stageApp(target.app, s), batches: 0, records: 0 }));
  const finished = await startReplayStatus(target.checkpoints, target.app, { sourceApp: o.source.app, fromMs: o.fromMs, toMs: o.toMs });
  // Failures of a later stage are retried at the next round, after a doubling wait; one that keeps
  // failing ends the replay (its failure policy sets a batch aside before that). Counted per stage and
  // shard: the partitions of two exchanges have the same shard ids.
  const failures = new Map<string, number>();
  const driver = new StagedLocalDriver({
    app: target.app,
    staged,
    firstStage: (processor) =>
      new WalReplayStage(plan.steps, async (step) => {
        const batch = await readWalBatch(o.source.objects, o.source.app, step.shardId, step.batchNo);
        clock.nowAt = batch.header.createdAt;
        const committed = await processOnce(processor, step.shardId, batch, maxTries);
        stages[0]!.batches += committed.length;
        stages[0]!.records += batch.records.length;
        for (const stats of committed) o.onBatch?.(0, stats);
        return { batches: committed.length, records: batch.records.length };
      }),
    checkpoints: target.checkpoints,
    objects: target.objects,
    clock,
    batchIntervalMs: REPLAY_INTERVAL_MS,
    output: o.output,
    retryFailures: true,
    onFailure: (shardId, error, s) => {
      const n = (failures.get(`${s}/${shardId}`) ?? 0) + 1;
      if (n >= maxTries) throw error;
      failures.set(`${s}/${shardId}`, n);
      clock.backoffMs = Math.max(clock.backoffMs, RETRY_BASE_DELAY_MS * 2 ** (n - 1));
    },
    onBatch: (s, event) => {
      failures.delete(`${s}/${event.shardId}`);
      stages[s]!.batches += event.batches.length;
      stages[s]!.records += event.records;
      for (const stats of event.batches) o.onBatch?.(s, stats);
    },
    processorOptions: (s, app) => ({
      failurePolicy: new BatchRetryPolicy({
        app,
        pipeline: staged.stages[s]!,
        checkpoints: target.checkpoints,
        objects: target.objects,
        clock,
        maxAttempts: o.maxBatchAttempts,
      }),
    }),
  });
  await driver.run();
  await finished(plan.steps.length);
  return { shards: plan.shards.length, batches: plan.steps.length, records: stages[0]!.records, committed: stages[0]!.batches, stages };
}

/**
 * Stage 0 of a staged replay: each round replays the next WAL batch of every source shard (in batch
 * order per shard, as the original's rounds ran them), through the processor the staged driver built,
 * whose exchange writer sends to stage 1. Drained once every batch is replayed.
 */
class WalReplayStage implements StageDriver {
  readonly #queues = new Map<string, ReplayStep[]>();
  readonly #replay: (step: ReplayStep) => Promise<{ batches: number; records: number }>;

  constructor(steps: readonly ReplayStep[], replay: (step: ReplayStep) => Promise<{ batches: number; records: number }>) {
    for (const step of steps) {
      const queue = this.#queues.get(step.shardId);
      if (queue === undefined) this.#queues.set(step.shardId, [step]);
      else queue.push(step);
    }
    this.#replay = replay;
  }

  /** The origins of stage 1: the source shards with a batch to replay. */
  get shards(): readonly string[] {
    return [...this.#queues.keys()];
  }

  async open(): Promise<void> {}

  async round(): Promise<RoundResult> {
    let batches = 0;
    let records = 0;
    let drained = true;
    for (const queue of this.#queues.values()) {
      const step = queue.shift();
      if (step !== undefined) {
        const done = await this.#replay(step);
        batches += done.batches;
        records += done.records;
      }
      if (queue.length > 0) drained = false;
    }
    return { drained, batches, records };
  }
}

/** The time range, in ISO 8601. */
function describeRange(fromMs: number | undefined, toMs: number | undefined): string {
  const iso = (ms: number): string => new Date(ms).toISOString();
  if (fromMs === undefined && toMs === undefined) return 'that its checkpoint committed';
  if (toMs === undefined) return `with a batch time at or after ${iso(fromMs!)}`;
  if (fromMs === undefined) return `with a batch time before ${iso(toMs)}`;
  return `with a batch time in [${iso(fromMs)}, ${iso(toMs)})`;
}
