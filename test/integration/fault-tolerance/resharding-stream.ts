import { createHash } from 'node:crypto';
import type { SourceRecord } from '../../../lib/core/source-record';
import type { ReadResult, ShardInfo, Source } from '../../../lib/ports/source';

interface StreamShard {
  readonly shardId: string;
  readonly parentShardIds: readonly string[];
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
  readonly records: SourceRecord[];
  closed: boolean;
}

const HASH_SPACE = 2n ** 128n;

/**
 * A Kinesis stream in memory that reshards the way Kinesis documents it (kinesis-using-sdk-java-after-
 * resharding): a split or merge closes the parent(s), which keep their records and end after them;
 * new records go by the MD5 of their partition key to the open shard whose hash range holds it;
 * sequence numbers grow across the stream, with gaps.
 *
 * moto_server 5.2.1 cannot stand in for it: after a split it keeps routing records to the closed
 * parent (its `get_shard_for_key` ignores whether a shard is open), and a merge copies the parents'
 * records into the child instead of leaving them in the parents (moto/kinesis/models.py).
 */
export class ReshardingStream implements Source {
  readonly #shards: StreamShard[] = [];
  #finished = false;
  #nextSeq = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

  constructor(shardCount: number) {
    const step = HASH_SPACE / BigInt(shardCount);
    for (let i = 0; i < shardCount; i++) {
      this.#add([], BigInt(i) * step, i === shardCount - 1 ? HASH_SPACE - 1n : BigInt(i + 1) * step - 1n);
    }
  }

  /** Writes a record to the open shard that owns its partition key; returns that shard. */
  put(partitionKey: string, data: Uint8Array, arrivalMs: number): string {
    return this.putAt(BigInt(`0x${createHash('md5').update(partitionKey).digest('hex')}`), partitionKey, data, arrivalMs);
  }

  /** Writes a record at an explicit hash key (PutRecord's `ExplicitHashKey`); returns the shard that took it. */
  putAt(hash: bigint, partitionKey: string, data: Uint8Array, arrivalMs: number): string {
    const shard = this.#shards.find((s) => !s.closed && s.startingHashKey <= hash && hash <= s.endingHashKey)!;
    this.#nextSeq += 1n + BigInt(hash % 1_000n);
    shard.records.push({ seq: this.#nextSeq.toString(), arrivalMs, partitionKey, data });
    return shard.shardId;
  }

  /** SplitShard: closes `shardId`, opens two children split at `newStartingHashKey` (the middle by default). */
  split(shardId: string, newStartingHashKey?: bigint): [string, string] {
    const parent = this.#open(shardId);
    const middle = newStartingHashKey ?? (parent.startingHashKey + parent.endingHashKey + 1n) / 2n;
    parent.closed = true;
    return [this.#add([shardId], parent.startingHashKey, middle - 1n), this.#add([shardId], middle, parent.endingHashKey)];
  }

  /** MergeShards: closes two adjacent shards, opens one child over both ranges. */
  merge(shardId: string, adjacentShardId: string): string {
    const [a, b] = [this.#open(shardId), this.#open(adjacentShardId)].sort((x, y) => (x.startingHashKey < y.startingHashKey ? -1 : 1));
    if (a!.endingHashKey + 1n !== b!.startingHashKey) throw new Error(`${shardId} and ${adjacentShardId} are not adjacent`);
    a!.closed = true;
    b!.closed = true;
    return this.#add([shardId, adjacentShardId], a!.startingHashKey, b!.endingHashKey);
  }

  /** Every shard, parents before children (creation order), with its parents. */
  async listShards(): Promise<ShardInfo[]> {
    return this.#shards.map((s) => ({ shardId: s.shardId, parentShardIds: [...s.parentShardIds], ...(s.closed ? { closed: true } : {}) }));
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    const shard = this.#shards.find((s) => s.shardId === shardId);
    if (shard === undefined) throw new Error(`no shard ${shardId}`);
    const after = afterSeq === undefined ? shard.records : shard.records.filter((r) => BigInt(r.seq) > BigInt(afterSeq));
    const records = after.slice(0, maxRecords);
    const all = records.length === after.length;
    return { records, endOfShard: shard.closed && all, endOfData: this.#finished && !shard.closed && all };
  }

  /** No more records will be written: an open shard read to its end then reports the end of data, so a run drains. */
  finish(): void {
    this.#finished = true;
  }

  /** Records per shard, for the test's assertions. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#shards.map((s) => [s.shardId, s.records.length]));
  }

  #open(shardId: string): StreamShard {
    const shard = this.#shards.find((s) => s.shardId === shardId);
    if (shard === undefined || shard.closed) throw new Error(`shard ${shardId} is not open`);
    return shard;
  }

  #add(parentShardIds: readonly string[], startingHashKey: bigint, endingHashKey: bigint): string {
    const shardId = `shardId-${String(this.#shards.length).padStart(12, '0')}`;
    this.#shards.push({ shardId, parentShardIds, startingHashKey, endingHashKey, records: [], closed: false });
    return shardId;
  }
}
