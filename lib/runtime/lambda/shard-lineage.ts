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
 * Every shard `source` lists now (closed ones until they expire), with its lineage.
 *
 * The Lambda processor cannot tell a closed shard's last batch (a Kinesis event carries no end of
 * shard) nor the children a split made; an idle tick of a sending stage asks here instead
 * (docs/decisions/0015, Resharding).
 */
export async function streamLineage(source: Source): Promise<Map<string, ShardLineage>> {
  const shards = await source.listShards();
  const lineage = new Map<string, ShardLineage>();
  for (const shard of shards) {
    const children = shards.filter((s) => s.parentShardIds.includes(shard.shardId)).map((s) => s.shardId);
    lineage.set(shard.shardId, { closed: shard.closed === true, children: children.sort() });
  }
  return lineage;
}

/**
 * What `shardId` holds after `committedSeq` (after its start when null): `records`; or nothing up
 * to its `end` (a closed shard read to its end); or `nothing` now (an open shard, or a closed one
 * whose end a few empty pages did not reach). Reads one record, a few pages at most; call
 * {@link streamLineage} on the same source first. A KPL user record's sub-sequence number counts its
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
