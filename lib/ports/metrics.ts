import type { BatchStats } from '../core/batch-stats';

/** Where per-batch statistics go: EMF on Lambda, the live terminal view locally, nowhere in tests. */
export interface Metrics {
  batchCommitted(stats: BatchStats): void;
  recordsQuarantined?(shardId: string, count: number): void;
}
