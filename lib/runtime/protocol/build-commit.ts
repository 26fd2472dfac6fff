import type { BatchStats } from '../../core/batch-stats';
import type { CompiledPipeline } from '../../core/engine/compile-pipeline';
import type { OperatorState } from '../../core/state/operator-state';
import type { TransactWrite } from '../../ports/checkpoint-store';
import type { CheckpointExchange, CheckpointRecord } from './checkpoint-record';
import type { ShardSnapshot } from './shard-reader';
import type { StateManifest } from './state/state-manifest';
import { StorageKeys } from './storage-keys';
import type { WalHeader } from './wal-codec';

/** Everything step 5 writes, as one transaction. */
export interface Commit {
  readonly writes: TransactWrite[];
  readonly checkpoint: CheckpointRecord;
}

/**
 * Builds the commit of batch n+1: the new checkpoint — offsets, and the manifest naming the state
 * objects written before it — conditioned on the checkpoint still being at batch n (absent for the
 * first batch). The condition is the fence: a stale or concurrent invocation's commit fails whole,
 * so state and offsets move together or not at all. The item's size does not depend on the state's.
 */
export function buildCommit(input: {
  app: string;
  snapshot: ShardSnapshot;
  pipeline: CompiledPipeline;
  states: ReadonlyMap<string, OperatorState>;
  /** The state after this batch: the manifest of its state write, or the previous one when it changed nothing. */
  manifest: StateManifest | undefined;
  header: WalHeader;
  stats: BatchStats;
  nowMs: number;
  /** The source the batch came from; the checkpoint keeps the one it had when this is absent. */
  sourceId?: string;
  /** A stage of a pipeline with exchanges: its marks, in the same write as its state. */
  exchange?: CheckpointExchange;
}): Commit {
  const { app, snapshot, pipeline, states, header, stats } = input;
  const pk = StorageKeys.shardPartition(app, snapshot.shardId);
  const previous = snapshot.checkpoint;
  const batchNo = header.batchNo;
  const checkpoint: CheckpointRecord = {
    batchNo,
    committedSeq: header.lastSeq,
    stateLayout: pipeline.stateLayout,
    ...defined('state', input.manifest),
    limiter: header.limiter,
    lastBatch: {
      records: stats.records,
      processingMs: stats.processingMs,
      quarantined: stats.quarantined,
      quarantinedElements: stats.quarantinedElements ?? 0,
      schedulingDelayMs: stats.schedulingDelayMs,
      millisBehind: stats.millisBehind,
      rateLimit: stats.rateLimit,
      batchTimeMs: stats.batchTimeMs,
      ...(stats.replayed ? { replayed: true } : {}),
    },
    totals: {
      batches: (previous?.totals?.batches ?? 0) + 1,
      records: (previous?.totals?.records ?? 0) + stats.records,
      processingMs: (previous?.totals?.processingMs ?? 0) + stats.processingMs,
      quarantined: (previous?.totals?.quarantined ?? 0) + stats.quarantined,
      quarantinedElements: (previous?.totals?.quarantinedElements ?? 0) + (stats.quarantinedElements ?? 0),
    },
    ...defined('tickDueAtMs', tickDueAtMs(pipeline, states, input.exchange, input.nowMs)),
    ...defined('recordsCommittedAtMs', stats.records > 0 ? input.nowMs : previous?.recordsCommittedAtMs),
    ...defined('sourceId', input.sourceId ?? previous?.sourceId),
    updatedAtMs: input.nowMs,
    ...defined('exchange', input.exchange),
  };
  const writes: TransactWrite[] = [
    {
      kind: 'put',
      item: { pk, sk: StorageKeys.CHECKPOINT_SK, version: batchNo, data: JSON.stringify(checkpoint) },
      condition: previous === undefined ? { absent: true } : { version: previous.batchNo },
    },
  ];
  if (previous === undefined) {
    // The app's list of shards, for readers that merge state across shards.
    writes.push({
      kind: 'put',
      item: { pk: StorageKeys.appPartition(app), sk: StorageKeys.shardSk(snapshot.shardId), version: 1, data: JSON.stringify({ shardId: snapshot.shardId }) },
    });
  }
  return { writes, checkpoint };
}

/** `{ [name]: value }`, or nothing when `value` is undefined: optional checkpoint fields stay absent. */
function defined<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [name]: value } as { [P in K]?: V });
}

/**
 * When the shard next awaits an idle tick, for the controller (docs/decisions/0007): its own
 * arrival-time windows' next end, and for a source stage whose exchange carries time
 * (docs/decisions/0015) its next progress marker, a slide after the progress it last sent — as
 * `MicroBatchProcessor.idleTick` decides. `undefined`: nothing awaits a tick.
 */
function tickDueAtMs(
  pipeline: CompiledPipeline,
  states: ReadonlyMap<string, OperatorState>,
  exchange: CheckpointExchange | undefined,
  nowMs: number,
): number | undefined {
  const windowsDue = pipeline.usesIdleTicks ? pipeline.tickDueAtMs(states) : undefined;
  const sendsTime = pipeline.sends?.progress === true && pipeline.receives !== true && exchange?.ended !== true;
  if (!sendsTime) return windowsDue;
  const sentMs = exchange?.sentWatermarkMs;
  const progressDue = sentMs === undefined || sentMs === null ? nowMs : sentMs + pipeline.sends!.tickEveryMs;
  return windowsDue === undefined ? progressDue : Math.min(windowsDue, progressDue);
}
