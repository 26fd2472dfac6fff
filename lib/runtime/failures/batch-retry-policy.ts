import type { BatchStats } from '../../core/batch-stats';
import { DEFAULT_MAX_BATCH_ATTEMPTS } from '../../core/defaults';
import { checkRange } from '../../core/rate/check-range';
import { BatchAttempts } from './batch-attempts';
import { SinkError } from '../../core/errors';
import { describeError } from '../protocol/quarantine';
import { quarantineBatch } from './quarantine-batch';
import type { ShardSnapshot } from '../protocol/shard-reader';
import type { WalBatch } from '../protocol/wal-codec';
import type { BatchDeps } from '../protocol/batch-deps';

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
 * Bounded retries: a batch whose sink keeps throwing on it is quarantined whole after `maxAttempts`
 * failures, so one poison batch never blocks its shard for the stream's retention. Each failure is
 * counted durably per (shard, batch number) by {@link BatchAttempts}, so the bound holds across
 * crashes, cold starts and instances.
 *
 * Only failures that point at the batch's content count: a {@link SinkError} that is not transient.
 * Everything else is the system's failure and is rethrown uncounted — transient ones (throttles,
 * 5xx, timeouts) are retried until the backend recovers; configuration, corruption, the state's
 * memory budget, an error nobody expected stop the shard until an operator acts. Setting records
 * aside cannot fix any of those, and would throw good data away (docs/decisions/0008).
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
    if (!(error instanceof SinkError) || error.retryable) throw error;
    const { app, pipeline, checkpoints, objects, clock } = this.#o;
    const attempts = await this.#attempts.recordFailure(snapshot.shardId, batch.header.batchNo, describeError(error).reason, clock.nowMs());
    if (attempts < this.#max) throw error;
    // Reported once, by the processor's batchCommitted with the set-aside batch's stats.
    return quarantineBatch({ app, pipeline, checkpoints, objects, snapshot, batch, error, attempts, nowMs: clock.nowMs() });
  }
}
