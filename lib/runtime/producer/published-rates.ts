import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ShardInfo } from '../../ports/source';
import { parseRecord, type ControlRecord } from '../protocol/checkpoint-record';
import { StorageKeys } from '../protocol/storage-keys';
import { totalRate } from './total-rate';

/** The rates in force for a stream's open shards at one reading. */
export interface RateReading {
  /** Published rate per open shard (records/s); `undefined` where none is published. */
  readonly perShard: Readonly<Record<string, number | undefined>>;
  /** What a producer may send in total, per {@link totalRate}. */
  readonly totalPerSec: number;
}

/** The shards still written to: those no other listed shard names as a parent (split or merge). */
export function openShardIds(shards: readonly ShardInfo[]): string[] {
  const parents = new Set(shards.flatMap((s) => s.parentShardIds));
  return shards.map((s) => s.shardId).filter((id) => !parents.has(id));
}

/**
 * Reads the rates the controller published for `shardIds` (one consistent GetItem of each shard's
 * `meta#control`) and sums them into the rate a producer may send at.
 */
export async function readPublishedRates(
  checkpoints: CheckpointStore,
  app: string,
  shardIds: readonly string[],
  maxRatePerShard?: number,
): Promise<RateReading> {
  const perShard: Record<string, number | undefined> = {};
  await Promise.all(
    shardIds.map(async (shardId) => {
      const pk = StorageKeys.shardPartition(app, shardId);
      const item = await checkpoints.get(pk, StorageKeys.CONTROL_SK);
      const rate = item === undefined ? undefined : parseRecord<ControlRecord>(`${pk}/${item.sk}`, item.data).rateLimit;
      perShard[shardId] = typeof rate === 'number' && Number.isFinite(rate) && rate > 0 ? rate : undefined;
    }),
  );
  return {
    perShard,
    totalPerSec: totalRate(
      shardIds.map((id) => perShard[id]),
      maxRatePerShard,
    ),
  };
}
