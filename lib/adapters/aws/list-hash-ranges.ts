import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import type { HashRange } from '../../ports/source';

/** The open shards' hash key ranges (a closed shard, which has an ending sequence number, takes no writes). */
export async function listHashRanges(client: KinesisClient, streamName: string): Promise<HashRange[]> {
  const shards: Shard[] = [];
  for (let more = true; more;) {
    const last = shards.at(-1)?.ShardId;
    const page = await client.send(new ListShardsCommand({ StreamName: streamName, ...(last === undefined ? {} : { ExclusiveStartShardId: last }) }));
    shards.push(...(page.Shards ?? []));
    more = page.NextToken !== undefined && (page.Shards ?? []).length > 0;
  }
  return shards
    .filter((s) => s.ShardId !== undefined && s.HashKeyRange?.StartingHashKey !== undefined && s.SequenceNumberRange?.EndingSequenceNumber === undefined)
    .map((s) => ({ shardId: s.ShardId!, start: BigInt(s.HashKeyRange!.StartingHashKey!), end: BigInt(s.HashKeyRange!.EndingHashKey!) }));
}
