import { CorruptDataError, SluiceError } from '../../core/errors';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ObjectStore } from '../../ports/object-store';
import { parseCheckpoint } from '../protocol/checkpoint-record';
import { StorageKeys } from '../protocol/storage-keys';
import { readWalBatch } from '../protocol/read-wal-batch';
import type { WalHeader } from '../protocol/wal-codec';

/** One WAL batch a replay runs. */
export interface ReplayStep {
  readonly shardId: string;
  readonly batchNo: number;
  readonly key: string;
}

/** What a replay will run, checked before anything is written. */
export interface ReplayPlan {
  /** Shards of the source app that keep WAL batches. */
  readonly shards: readonly string[];
  /** The batches in the time range, per shard in batch order. */
  readonly steps: readonly ReplayStep[];
}

/** What {@link planReplay} checks: the source app's WAL and checkpoint, the range, and the target's name. */
export interface PlanReplayInput {
  readonly source: { readonly app: string; readonly objects: ObjectStore; readonly checkpoints: CheckpointStore };
  /** Named in messages: nothing is written to it when the plan is refused. */
  readonly targetApp: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly shardIds?: readonly string[];
}

/**
 * Decides which WAL batches a replay runs, and refuses a WAL that cannot rebuild the source app's
 * state, before the replay writes anything:
 *
 * - per shard, the batch numbers kept must run without a gap from the first kept to the last the
 *   checkpoint committed. A gap is refused, naming the missing numbers, when the missing batches'
 *   times (between their neighbours', or the checkpoint's last commit) may fall in the range.
 *   Batches missing before the first kept one cannot be told from batches the bucket's lifecycle
 *   rule expired, and are not refused;
 * - a batch allocated after the last commit is not replayed: the source app has not counted it;
 * - every batch in the range must decode and hold the batch and shard its key names.
 */
export async function planReplay(input: PlanReplayInput): Promise<ReplayPlan> {
  const { app, objects, checkpoints } = input.source;
  const inRange = (t: number): boolean => (input.fromMs === undefined || t >= input.fromMs) && (input.toMs === undefined || t < input.toMs);
  const kept = await walNumbersByShard(objects, app);
  const registered = (await checkpoints.query(StorageKeys.appPartition(app), StorageKeys.SHARD_PREFIX)).map((i) => i.sk.slice(StorageKeys.SHARD_PREFIX.length));
  const shardIds = input.shardIds ?? [...new Set([...kept.keys(), ...registered])].sort();
  const gaps: string[] = [];
  const steps: ReplayStep[] = [];
  try {
    for (const shardId of shardIds) {
      const pk = StorageKeys.shardPartition(app, shardId);
      const item = await checkpoints.get(pk, StorageKeys.CHECKPOINT_SK);
      const checkpoint = item === undefined ? undefined : parseCheckpoint(`${pk}/${item.sk}`, item.data);
      const last = checkpoint?.batchNo ?? 0;
      const numbers = kept.get(shardId) ?? [];
      const beyond = numbers.filter((n) => n > last + 1);
      if (beyond.length > 0) {
        throw new CorruptDataError(
          StorageKeys.walPrefix(app, shardId),
          `WAL ${plural(beyond, 'batch', 'batches')} ${ranges(beyond)} ${beyond.length === 1 ? 'is' : 'are'} beyond batch ${last + 1}, the next the checkpoint of app ${app} allows: the WAL and the checkpoint are not of the same run`,
        );
      }
      const committed = numbers.filter((n) => n <= last);
      const header = async (batchNo: number): Promise<WalHeader> => (await readWalBatch(objects, app, shardId, batchNo)).header;
      const missing: number[] = [];
      for (const run of missingRuns(committed, last)) {
        // The missing batches' times lie between their neighbours' (the last one's commit bounds a tail).
        const lowerMs = run.from > 1 && committed.includes(run.from - 1) ? (await header(run.from - 1)).createdAt : -Infinity;
        const upperMs = run.to === last ? (checkpoint?.updatedAtMs ?? Infinity) : (await header(run.to + 1)).createdAt;
        const outside = (input.fromMs !== undefined && upperMs < input.fromMs) || (input.toMs !== undefined && lowerMs >= input.toMs);
        if (!outside) for (let n = run.from; n <= run.to; n++) missing.push(n);
      }
      if (missing.length > 0) {
        const hint = committed.length === 0 ? '; no WAL batch of this shard is kept: did the app run with --no-wal?' : '';
        gaps.push(
          `${shardIds.length === 1 ? '' : `shard ${shardId}: `}WAL ${plural(missing, 'batch', 'batches')} ${ranges(missing)} ${missing.length === 1 ? 'is' : 'are'} missing (the checkpoint of app ${app} committed batches up to ${last}${hint})`,
        );
        continue;
      }
      for (const batchNo of committed) {
        const { header: h } = await readWalBatch(objects, app, shardId, batchNo);
        if (inRange(h.createdAt)) steps.push({ shardId, batchNo, key: StorageKeys.walKey(app, shardId, batchNo) });
      }
    }
  } catch (error) {
    if (!(error instanceof CorruptDataError)) throw error;
    throw new CorruptDataError(error.key, `${error.message.slice(error.key.length + 2)}; nothing was replayed into app ${input.targetApp}`, { cause: error });
  }
  if (gaps.length > 0) {
    const key = shardIds.length === 1 ? StorageKeys.walPrefix(app, shardIds[0]) : StorageKeys.walPrefix(app);
    throw new CorruptDataError(
      key,
      `${gaps.join('; ')}; replayed without them, app ${input.targetApp} would not hold the original's state. Nothing was replayed: restore them, or replay a time range without them (--from, --to)`,
    );
  }
  return { shards: shardIds.filter((s) => kept.has(s)), steps };
}

/** The WAL batch numbers kept per shard, ascending (keys are zero-padded). */
async function walNumbersByShard(objects: ObjectStore, app: string): Promise<Map<string, number[]>> {
  const prefix = StorageKeys.walPrefix(app);
  const byShard = new Map<string, number[]>();
  for (const key of await objects.list(prefix)) {
    const [shardId, batch, ...rest] = key.slice(prefix.length).split('/');
    if (shardId === undefined || batch === undefined || rest.length > 0 || key !== StorageKeys.walKey(app, shardId, Number(batch))) {
      throw new SluiceError(`${key}: not a WAL object key (expected ${StorageKeys.walKey(app, '<shard>', 1)})`);
    }
    const numbers = byShard.get(shardId);
    if (numbers === undefined) byShard.set(shardId, [Number(batch)]);
    else numbers.push(Number(batch));
  }
  return byShard;
}

/** Runs of numbers absent from `kept` (ascending) between its first element and `last`; all of 1..last when it is empty. */
function missingRuns(kept: readonly number[], last: number): Array<{ from: number; to: number }> {
  const runs: Array<{ from: number; to: number }> = [];
  let expected = kept[0] ?? 1;
  for (const n of [...kept, last + 1]) {
    if (n > expected) runs.push({ from: expected, to: Math.min(n, last + 1) - 1 });
    expected = n + 1;
  }
  return runs.filter((r) => r.from <= r.to);
}

/** `2-3, 5`: ascending numbers as ranges. */
function ranges(numbers: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length;) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    parts.push(i === j ? String(numbers[i]) : `${numbers[i]}-${numbers[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

function plural(items: readonly unknown[], one: string, many: string): string {
  return items.length === 1 ? one : many;
}
