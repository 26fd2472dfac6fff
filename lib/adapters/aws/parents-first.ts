import type { Shard } from '@aws-sdk/client-kinesis';
import type { ShardInfo } from '../../ports/source';

/**
 * Turns listed Kinesis shards into `ShardInfo`s ordered so that every shard comes after its parents,
 * as the `Source` port promises: a child may only be read once its parents reached their end.
 *
 * Parents no longer listed (expired past retention) are dropped from `parentShardIds`: they hold
 * nothing left to drain, and waiting for them would block their children forever.
 */
export function parentsFirst(shards: readonly Shard[]): ShardInfo[] {
  const listed = new Set(shards.map((s) => s.ShardId));
  const infos = shards.flatMap((s): ShardInfo[] =>
    s.ShardId === undefined
      ? []
      : [
          {
            shardId: s.ShardId,
            parentShardIds: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => p !== undefined && listed.has(p)),
            ...(s.SequenceNumberRange?.EndingSequenceNumber === undefined ? {} : { closed: true }),
          },
        ],
  );
  const ordered: ShardInfo[] = [];
  const placed = new Set<string>();
  while (ordered.length < infos.length) {
    const ready = infos.filter((s) => !placed.has(s.shardId) && s.parentShardIds.every((p) => placed.has(p)));
    // A cycle cannot come from Kinesis; keep the rest in listed order rather than loop forever.
    for (const s of ready.length > 0 ? ready : infos.filter((i) => !placed.has(i.shardId))) {
      ordered.push(s);
      placed.add(s.shardId);
    }
  }
  return ordered;
}
