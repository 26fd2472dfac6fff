import type { BatchStats } from '../../core/batch-stats';
import type { CompiledPipeline } from '../../core/engine/compile-pipeline';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ObjectStore } from '../../ports/object-store';
import { buildCommit } from '../protocol/build-commit';
import { describeError } from '../protocol/quarantine';
import type { ShardSnapshot } from '../protocol/shard-reader';
import { StorageKeys } from '../protocol/storage-keys';
import type { WalBatch } from '../protocol/wal-codec';

/** The quarantine entry of a whole batch set aside after it failed too often, with every record. */
export interface QuarantinedBatch {
  readonly app: string;
  readonly shardId: string;
  readonly batchNo: number;
  readonly stage: 'batch';
  readonly reason: string;
  readonly stack?: string;
  readonly attempts: number;
  /** Null for an idle tick of a shard never read from. */
  readonly firstSeq: string | null;
  readonly lastSeq: string | null;
  readonly count: number;
  /** The batch's records; `data` is base64. */
  readonly records: ReadonlyArray<{ readonly seq: string; readonly partitionKey: string; readonly arrivalMs: number; readonly data: string }>;
}

/**
 * `quarantine/{app}/{shard}/{batchNo:020}-batch-{lastSeq}`: sorts after the batch's per-record
 * entries. The last sequence number tells apart two cuts of one batch number, which attempts make
 * when the WAL is off; the committed set-aside's marker names the one that counts.
 */
export function quarantinedBatchKey(app: string, shardId: string, batchNo: number, lastSeq: string | null): string {
  return StorageKeys.quarantineKey(app, shardId, batchNo, `batch-${lastSeq ?? 'start'}`);
}

/** What the `aside#{batchNo}` marker holds: the entry that counts, committed with the checkpoint. */
export interface AsideMarker {
  readonly key: string;
  readonly count: number;
  readonly reason: string;
}

/**
 * Sets batch n+1 aside: writes all its records to one create-only quarantine object, then commits
 * the checkpoint past them with no state change, together with the marker `aside#{batchNo}` that
 * makes the entry count — fenced on batch n like any commit, so if a concurrent attempt committed
 * the batch after all, this commit fails whole with `FencedError` and the entry stays unmarked.
 *
 * Quarantine before commit, so a committed set-aside always has its records on file; the marker in
 * the same transaction as the checkpoint, naming the entry, so an entry whose commit lost (or never
 * happened, or that holds another cut of the batch) is recognizably void. Every record of the batch thus ends either in the state, exactly once, or in
 * exactly one marked quarantine entry. Readers: `readQuarantine`.
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
  const key = quarantinedBatchKey(app, snapshot.shardId, h.batchNo, h.lastSeq);
  await input.objects.putIfAbsent(key, new TextEncoder().encode(JSON.stringify(entry, null, 2)));
  const stats: BatchStats = {
    app,
    shardId: snapshot.shardId,
    batchNo: h.batchNo,
    batchTimeMs: h.createdAt,
    records: batch.records.length,
    quarantined: batch.records.length,
    processingMs: 0,
    schedulingDelayMs: 0,
    rateLimit: h.rateLimit,
    replayed: false,
    setAside: true,
  };
  // The state does not change: the commit carries the checkpoint alone, with the state it had.
  const commit = buildCommit({
    app,
    snapshot,
    pipeline,
    states: pipeline.createStates(),
    manifest: snapshot.checkpoint?.state,
    header: h,
    stats,
    nowMs: input.nowMs,
  });
  const marker: AsideMarker = { key, count: entry.count, reason: entry.reason };
  const pk = StorageKeys.shardPartition(app, snapshot.shardId);
  await input.checkpoints.transact([
    ...commit.writes,
    { kind: 'put', item: { pk, sk: StorageKeys.asideSk(h.batchNo), version: h.batchNo, data: JSON.stringify(marker) }, condition: { absent: true } },
  ]);
  return stats;
}
