import type { BatchStats } from '../core/batch-stats';
import type { CompiledPipeline } from '../core/engine/compile-pipeline';
import type { CheckpointStore } from '../ports/checkpoint-store';
import type { ObjectStore } from '../ports/object-store';
import { buildCommit } from './build-commit';
import { describeError } from './quarantine';
import type { ShardSnapshot } from './shard-reader';
import { StorageKeys } from './storage-keys';
import type { WalBatch } from './wal-codec';

/** The quarantine entry of a whole batch set aside after it failed too often, with every record. */
export interface QuarantinedBatch {
  readonly app: string;
  readonly shardId: string;
  readonly batchNo: number;
  readonly stage: 'batch';
  readonly reason: string;
  readonly stack?: string;
  readonly attempts: number;
  readonly firstSeq: string;
  readonly lastSeq: string;
  readonly count: number;
  /** The batch's records; `data` is base64. */
  readonly records: ReadonlyArray<{ readonly seq: string; readonly partitionKey: string; readonly arrivalMs: number; readonly data: string }>;
}

/** `quarantine/{app}/{shard}/{batchNo:020}-batch`: sorts after the batch's per-record entries. */
export function quarantinedBatchKey(app: string, shardId: string, batchNo: number): string {
  return `${StorageKeys.quarantinePrefix(app)}${shardId}/${String(batchNo).padStart(20, '0')}-batch`;
}

/**
 * Sets batch n+1 aside: writes all its records to one create-only quarantine object, then commits
 * the checkpoint past them with no state change — fenced on batch n like any commit, so a concurrent
 * attempt that did commit the batch wins and this commit fails whole with `FencedError`.
 *
 * Quarantine before commit: a crash in between leaves the batch uncommitted and quarantined, and the
 * next failure writes the same key again (a no-op) before committing. Every record of the batch
 * thus ends either in the state, exactly once, or in the quarantine.
 */
export async function quarantineBatch(input: {
  app: string;
  pipeline: CompiledPipeline;
  checkpoints: CheckpointStore;
  objects: ObjectStore;
  snapshot: ShardSnapshot;
  batch: WalBatch;
  error: unknown;
  attempts: number;
  nowMs: number;
}): Promise<BatchStats> {
  const { app, snapshot, batch, pipeline } = input;
  const h = batch.header;
  const entry: QuarantinedBatch = {
    app,
    shardId: snapshot.shardId,
    batchNo: h.batchNo,
    stage: 'batch',
    ...describeError(input.error),
    attempts: input.attempts,
    firstSeq: h.firstSeq,
    lastSeq: h.lastSeq,
    count: batch.records.length,
    records: batch.records.map((r) => ({ seq: r.seq, partitionKey: r.partitionKey, arrivalMs: r.arrivalMs, data: Buffer.from(r.data).toString('base64') })),
  };
  await input.objects.putIfAbsent(quarantinedBatchKey(app, snapshot.shardId, h.batchNo), new TextEncoder().encode(JSON.stringify(entry, null, 2)));
  const stats: BatchStats = {
    app,
    shardId: snapshot.shardId,
    batchNo: h.batchNo,
    batchTimeMs: h.createdAt,
    records: batch.records.length,
    deferred: 0,
    quarantined: batch.records.length,
    processingMs: 0,
    schedulingDelayMs: 0,
    rateLimit: h.rateLimit,
    replayed: true,
  };
  // Fresh states have no dirty bucket: the commit carries the checkpoint alone.
  const commit = buildCommit({ app, snapshot, pipeline, states: pipeline.createStates(), header: h, stats, nowMs: input.nowMs });
  await input.checkpoints.transact(commit.writes);
  return stats;
}
