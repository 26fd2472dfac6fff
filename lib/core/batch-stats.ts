/**
 * Statistics of one committed micro-batch: what the live view shows, what EMF publishes, and what
 * the rate controller reads as the PID's inputs (processing delay, scheduling delay, record count).
 */
export interface BatchStats {
  readonly app: string;
  readonly shardId: string;
  readonly batchNo: number;
  /** Batch time: the allocation time written in the WAL header (ms since the epoch). */
  readonly batchTimeMs: number;
  readonly records: number;
  /** Source records set aside whole (undecodable, oversized, or thrown on before the first barrier). */
  readonly quarantined: number;
  /**
   * Elements set aside after a barrier: one key's values of the batch that an operator threw on (the
   * record's other keys applied), a window's values, a `transform`'s view (docs/decisions/0014).
   * @default 0
   */
  readonly quarantinedElements?: number;
  /**
   * From the start of compute until the state object and the outputs are written, just before the
   * commit: the figure the checkpoint keeps, so the live view, `sluice status`, the UI and the
   * controller all show the same one.
   */
  readonly processingMs: number;
  /** The commit's round trip (the fenced checkpoint write), after {@link processingMs}; absent when unknown. */
  readonly commitMs?: number;
  /** Processing start minus the batch's scheduled time (see docs/decisions on rate control). */
  readonly schedulingDelayMs: number;
  /** How far behind the tip of the shard the batch's last record was, when known. */
  readonly millisBehind?: number;
  /** The rate limit in force for this batch, records per second (undefined = none). */
  readonly rateLimit?: number;
  /** True when this batch was re-run from an existing WAL object (a retry after a crash). */
  readonly replayed: boolean;
  /** True when the batch failed too often and was set aside whole, unapplied (docs/decisions/0006). */
  readonly setAside?: boolean;
  /** The state object the batch wrote before its commit (docs/decisions/0008); absent when it changed no state. */
  readonly stateObject?: { readonly kind: 'snapshot' | 'delta'; readonly bytes: number };
}
