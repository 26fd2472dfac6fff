import { kinesisSeqOf } from '../../core/source-record';
import type { Source } from '../../ports/source';

/** Most empty reads of a shard before it counts as having nothing now (Kinesis may page through empty ranges). */
const MAX_EMPTY_READS = 5;

/** A shard as its stream lists it now: whether a split or merge closed it, and the shards that took over its hash range. */
export interface ShardLineage {
  readonly closed: boolean;
  readonly children: readonly string[];
}

/**
 * `shardId` as `source` lists it now, or undefined if it is not listed (expired past retention).
 *
 * The Lambda processor cannot tell a closed shard's last batch (a Kinesis event carries no end of
 * shard) nor the children a split made; an idle tick of a sending stage asks here instead
 * (docs/decisions/0015, Resharding).
 */
export async function shardLineage(source: Source, shardId: string): Promise<ShardLineage | undefined> {
  const shards = await source.listShards();
  const shard = shards.find((s) => s.shardId === shardId);
  if (shard === undefined) return undefined;
  const children = shards.filter((s) => s.parentShardIds.includes(shardId)).map((s) => s.shardId);
  return { closed: shard.closed === true, children: children.sort() };
}

/**
 * What `shardId` holds after `committedSeq` (after its start when null): `records`; or nothing up
 * to its `end` (a closed shard read to its end); or `nothing` now (an open shard, or a closed one
 * whose end a few empty pages did not reach). Reads one record, a few pages at most; call
 * {@link shardLineage} on the same source first. A KPL user record's sub-sequence number counts its
 * aggregate as read: the mapping redelivers an aggregate it did not finish, and only quiet shards are asked.
 */
export async function whatFollows(source: Source, shardId: string, committedSeq: string | null): Promise<'records' | 'end' | 'nothing'> {
  const afterSeq = committedSeq === null ? undefined : kinesisSeqOf(committedSeq);
  for (let reads = 0; reads < MAX_EMPTY_READS; reads++) {
    const read = await source.read(shardId, afterSeq, 1);
    if (read.records.length > 0) return 'records';
    if (read.endOfShard) return 'end';
  }
  return 'nothing';
}
