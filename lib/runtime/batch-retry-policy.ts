import type { BatchStats } from '../core/batch-stats';
import { DEFAULT_MAX_BATCH_ATTEMPTS } from '../core/defaults';
import { checkRange } from '../core/rate/check-range';
import { BatchAttempts } from './batch-attempts';
import { isFatalError } from './is-fatal-error';
import { isTransientError } from './is-transient-error';
import { describeError } from './quarantine';
import { quarantineBatch } from './quarantine-batch';
import type { ShardSnapshot } from './shard-reader';
import type { WalBatch } from './wal-codec';
import type { BatchDeps } from './batch-deps';

/** A batch that failed to run or commit, as the processor hands it to its {@link BatchFailurePolicy}. */
export interface BatchFailure {
  readonly snapshot: ShardSnapshot;
  readonly batch: WalBatch;
  readonly error: unknown;
}

/**
 * What the processor does when running a batch fails (other than losing a fenced race): throw, so
 * the invocation fails and the batch is retried, or return the stats of the batch it set aside.
 */
export interface BatchFailurePolicy {
  onBatchFailure(failure: BatchFailure): Promise<BatchStats>;
}

/** Options of {@link BatchRetryPolicy}. */
export interface BatchRetryPolicyOptions extends BatchDeps {
  /**
   * Failed attempts of one batch before its records are quarantined and the shard moves on.
   * @default DEFAULT_MAX_BATCH_ATTEMPTS (5)
   */
  readonly maxAttempts?: number;
}

/**
 * Bounded retries: a batch that keeps failing is quarantined whole after `maxAttempts` failures, so
 * one poison batch (a sink that always throws on it, a state it cannot fit) never blocks its shard
 * for the stream's retention. Each failure is counted durably per (shard, batch number) by
 * {@link BatchAttempts}, so the bound holds across crashes, cold starts and instances.
 *
 * Only failures that point at the batch count. Transient infrastructure errors (throttles, 5xx,
 * timeouts) are rethrown uncounted and retried until the backend recovers: they say nothing about
 * the records. Configuration and corruption errors are rethrown uncounted too: skipping data
 * cannot fix a wrong pipeline or a damaged checkpoint, an operator must.
 */
export class BatchRetryPolicy implements BatchFailurePolicy {
  readonly #o: BatchRetryPolicyOptions;
  readonly #attempts: BatchAttempts;
  readonly #max: number;

  constructor(options: BatchRetryPolicyOptions) {
    this.#o = options;
    this.#max = checkRange('maxBatchAttempts', options.maxAttempts ?? DEFAULT_MAX_BATCH_ATTEMPTS, { min: 1, max: 10_000, integer: true });
    this.#attempts = new BatchAttempts(options.app, options.checkpoints);
  }

  async onBatchFailure({ snapshot, batch, error }: BatchFailure): Promise<BatchStats> {
    if (isTransientError(error) || isFatalError(error)) throw error;
    const { app, pipeline, checkpoints, objects, clock } = this.#o;
    const attempts = await this.#attempts.recordFailure(snapshot.shardId, batch.header.batchNo, describeError(error).reason, clock.nowMs());
    if (attempts < this.#max) throw error;
    const stats = await quarantineBatch({ app, pipeline, checkpoints, objects, snapshot, batch, error, attempts, nowMs: clock.nowMs() });
    this.#o.metrics?.recordsQuarantined?.(snapshot.shardId, stats.quarantined);
    return stats;
  }
}
