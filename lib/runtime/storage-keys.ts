/**
 * Where sluice keeps things, in one place so the processor, the controller and the CLI agree.
 *
 * Checkpoint store: partition `{app}#{shard}` holds `meta#checkpoint` (offsets, bucket versions,
 * stats; written only by the fenced commit), `meta#control` (published rate; written only by the
 * controller), `meta#attempts` (failures of the next batch; see BatchAttempts),
 * `aside#{batchNo:020}` (a batch set aside after too many failures; see quarantineBatch) and
 * `state#{operator}#{bucket}`. Partition `{app}` lists the shards (`shard#{id}`).
 * Object store: `wal/{app}/{shard}/{batchNo:020}`, `quarantine/{app}/{shard}/{batchNo:020}-{what}`.
 */
export const StorageKeys = {
  shardPartition: (app: string, shardId: string): string => `${app}#${shardId}`,
  appPartition: (app: string): string => app,
  CHECKPOINT_SK: 'meta#checkpoint',
  CONTROL_SK: 'meta#control',
  ATTEMPTS_SK: 'meta#attempts',
  ASIDE_PREFIX: 'aside#',
  asideSk: (batchNo: number): string => `aside#${padBatchNo(batchNo)}`,
  META_PREFIX: 'meta#',
  STATE_PREFIX: 'state#',
  SHARD_PREFIX: 'shard#',
  shardSk: (shardId: string): string => `shard#${shardId}`,
  stateSk: (operatorId: string, bucket: number): string => `state#${operatorId}#${String(bucket).padStart(3, '0')}`,
  /** The WAL of one shard of `app`, or of all its shards. */
  walPrefix: (app: string, shardId?: string): string => (shardId === undefined ? `wal/${app}/` : `wal/${app}/${shardId}/`),
  walKey: (app: string, shardId: string, batchNo: number): string => `wal/${app}/${shardId}/${padBatchNo(batchNo)}`,
  quarantinePrefix: (app: string): string => `quarantine/${app}/`,
  /**
   * A quarantine entry of batch `batchNo`; `what` tells the entries of one batch apart (`000003` for a
   * record of its computation, `seq-…` for one set aside before it, `batch-…` for the whole batch).
   * Entry keys sort by batch, so listing a shard reads them in order.
   */
  quarantineKey: (app: string, shardId: string, batchNo: number, what: string): string => `quarantine/${app}/${shardId}/${padBatchNo(batchNo)}-${what}`,
  /** In partition `{app}#{shard}`: what a local source noted about its input (see CheckpointSourceLedger). */
  SOURCE_NOTE_SK: 'source#note',
  /** In partition `{app}` of an app built by `sluice replay`: whether the replay finished (see ReplayStatus). */
  REPLAY_STATUS_SK: 'replay#status',
} as const;

/** Batch numbers in keys: zero-padded so stored keys sort like the numbers. */
function padBatchNo(batchNo: number): string {
  return String(batchNo).padStart(20, '0');
}
