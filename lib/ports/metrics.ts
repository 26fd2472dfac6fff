import type { BatchStats } from '../core/batch-stats';

/**
 * Where per-batch statistics go: EMF on Lambda, nowhere in tests. Every record set aside is
 * reported exactly once, by one of the two calls, so an adapter may add both up.
 */
export interface Metrics {
  /**
   * A batch committed, `stats.quarantined` counting the records it set aside (undecodable, thrown
   * on, or the whole batch when it was set aside after too many attempts).
   */
  batchCommitted(stats: BatchStats): void;
  /**
   * Records set aside outside any batch: delivered out of order after their batch was allocated,
   * or undecodable in the Lambda event before a batch was cut.
   */
  recordsQuarantined?(shardId: string, count: number): void;
}
