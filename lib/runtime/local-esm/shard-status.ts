import type { PidTerms } from '../../core/rate/pid-terms';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { AttemptsRecord } from '../failures/batch-attempts';
import { parseCheckpoint, parseRecord, type CheckpointRecord, type ControlRecord, type LastBatch } from '../protocol/checkpoint-record';
import { StorageKeys } from '../protocol/storage-keys';

/** One shard of an app as its checkpoint, control and attempts items describe it. */
export interface ShardStatus {
  readonly shardId: string;
  /** Last committed batch (0 = none yet). */
  readonly batchNo: number;
  readonly committedSeq: string | null;
  /** How far behind the tip of the shard the last batch was, ms (Lambda's IteratorAge). */
  readonly millisBehind: number | undefined;
  /** The rate the controller published for the shard, records/s; `undefined` = none. */
  readonly rateLimit: number | undefined;
  readonly lastBatch: LastBatch | undefined;
  readonly totals: CheckpointRecord['totals'];
  /** When the last commit happened, ms since the epoch. */
  readonly updatedAtMs: number | undefined;
  /** Failed attempts of the shard's NEXT batch, when it is failing now. */
  readonly failing: { readonly attempts: number; readonly lastError: string } | undefined;
  /** The controller's view of the shard (its control item), when a controller has visited it. */
  readonly controller: ControllerStatus | undefined;
  /** The source the shard's offsets are positions in (a stream's ARN), when its checkpoint names one. */
  readonly sourceId: string | undefined;
}

/** What the rate controller last wrote for a shard besides the rate. */
export interface ControllerStatus {
  /** Spark's PID terms at the latest estimate (records/s): error, historical error (backlog), dError. */
  readonly terms: PidTerms | undefined;
  /** When the rate was last estimated, ms since the epoch. */
  readonly rateUpdatedAtMs: number | undefined;
  /** The controller's latest visit, ms since the epoch: an old heartbeat means the controller is down. */
  readonly heartbeatAtMs: number | undefined;
}

/**
 * Reads the status of `shardIds` of `app` (one consistent Query of each shard's `meta#` items) plus
 * every shard the app has committed for, in the order given, then the app's other shards.
 */
export async function readShardStatuses(checkpoints: CheckpointStore, app: string, shardIds: readonly string[]): Promise<ShardStatus[]> {
  const registered = (await checkpoints.query(StorageKeys.appPartition(app), StorageKeys.SHARD_PREFIX)).map((item) =>
    item.sk.slice(StorageKeys.SHARD_PREFIX.length),
  );
  const all = [...new Set([...shardIds, ...registered])];
  return Promise.all(
    all.map(async (shardId): Promise<ShardStatus> => {
      const pk = StorageKeys.shardPartition(app, shardId);
      const items = await checkpoints.query(pk, StorageKeys.META_PREFIX);
      const read = <T>(sk: string, parse: (key: string, data: string) => T = parseRecord<T>): T | undefined => {
        const item = items.find((i) => i.sk === sk);
        return item === undefined ? undefined : parse(`${pk}/${sk}`, item.data);
      };
      const checkpoint = read<CheckpointRecord>(StorageKeys.CHECKPOINT_SK, parseCheckpoint);
      const control = read<ControlRecord>(StorageKeys.CONTROL_SK);
      const attempts = read<AttemptsRecord>(StorageKeys.ATTEMPTS_SK);
      const batchNo = checkpoint?.batchNo ?? 0;
      const lastBatch = checkpoint?.lastBatch;
      return {
        shardId,
        batchNo,
        committedSeq: checkpoint?.committedSeq ?? null,
        millisBehind: lastBatch?.millisBehind,
        rateLimit: typeof control?.rateLimit === 'number' ? control.rateLimit : undefined,
        lastBatch,
        totals: checkpoint?.totals,
        updatedAtMs: checkpoint?.updatedAtMs,
        // A counter of an earlier batch is stale: that batch committed since.
        failing: attempts !== undefined && attempts.batchNo === batchNo + 1 ? { attempts: attempts.attempts, lastError: attempts.lastError } : undefined,
        controller: controllerStatus(control),
        sourceId: checkpoint?.sourceId,
      };
    }),
  );
}

/** The controller's fields of a control item (written by `RateControlLoop`); `undefined` when no controller wrote it. */
function controllerStatus(control: ControlRecord | undefined): ControllerStatus | undefined {
  const heartbeat = control?.heartbeat as { atMs?: unknown } | undefined;
  if (control === undefined || heartbeat === undefined) return undefined;
  return {
    terms: control.terms as PidTerms | undefined,
    rateUpdatedAtMs: control.updatedAtMs,
    heartbeatAtMs: typeof heartbeat.atMs === 'number' ? heartbeat.atMs : undefined,
  };
}
