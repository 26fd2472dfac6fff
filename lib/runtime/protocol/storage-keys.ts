/**
 * Where sluice keeps things, in one place so the processor, the controller and the CLI agree.
 *
 * Checkpoint store: partition `{app}#{shard}` holds `meta#checkpoint` (offsets, the state manifest,
 * stats; written only by the fenced commit), `meta#control` (published rate; written only by the
 * controller), `meta#attempts` (failures of the next batch; see BatchAttempts) and
 * `aside#{batchNo:020}` (a batch set aside after too many failures; see quarantineBatch).
 * Partition `{app}` lists the shards (`shard#{id}`).
 * Object store: `wal/{app}/{shard}/{batchNo:020}`, `state/{app}/{shard}/{batchNo:020}[-{tag}].{snapshot|delta}`
 * (see docs/decisions/0008), `quarantine/{app}/{shard}/{batchNo:020}-{what}`.
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
  SHARD_PREFIX: 'shard#',
  shardSk: (shardId: string): string => `shard#${shardId}`,
  /** The WAL of one shard of `app`, or of all its shards. */
  walPrefix: (app: string, shardId?: string): string => (shardId === undefined ? `wal/${app}/` : `wal/${app}/${shardId}/`),
  walKey: (app: string, shardId: string, batchNo: number): string => `wal/${app}/${shardId}/${padBatchNo(batchNo)}`,
  /** The state objects of one shard of `app`, or of all its shards. */
  statePrefix: (app: string, shardId?: string): string => (shardId === undefined ? `state/${app}/` : `state/${app}/${shardId}/`),
  /**
   * A snapshot (the whole state as of `batchNo`) or a delta (what batch `batchNo` changed). `tag`,
   * when set, tells apart the objects of two different cuts of one batch number, which attempts of
   * an app without a WAL can make.
   */
  stateKey: (app: string, shardId: string, batchNo: number, kind: StateObjectKind, tag?: string): string =>
    `state/${app}/${shardId}/${padBatchNo(batchNo)}${tag === undefined ? '' : `-${tag}`}.${kind}`,
  /** The batch number a state object key names, or undefined when `key` is not one. */
  batchNoOfStateKey: (key: string): number | undefined => {
    const match = /\/(\d{20})(?:-[0-9a-f]+)?\.(?:snapshot|delta)$/.exec(key);
    return match === null ? undefined : Number(match[1]);
  },
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

/** What a state object holds: the whole state as of a batch, or one batch's changes. */
export type StateObjectKind = 'snapshot' | 'delta';

/** Batch numbers in keys: zero-padded so stored keys sort like the numbers. */
function padBatchNo(batchNo: number): string {
  return String(batchNo).padStart(20, '0');
}
