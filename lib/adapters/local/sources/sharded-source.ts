import { SluiceError } from '../../../core/errors';
import type { ReadResult, ShardInfo, Source } from '../../../ports/source';

/**
 * Spreads a one-shard source over `shards` shards, record `seq` going to shard `seq mod shards`:
 * `sluice run --source file:PATH --shards 4` reads a file as a 4-shard stream, the way a Kinesis
 * stream's records spread over its shards (and a key's records over several of them).
 */
export class ShardedSource implements Source {
  readonly id: string | undefined;
  readonly #inner: Source;
  readonly #shards: number;
  #innerShard: string | undefined;

  constructor(inner: Source, shards: number) {
    this.#inner = inner;
    this.#shards = shards;
    this.id = inner.id === undefined ? undefined : `${inner.id}#shards=${shards}`;
  }

  async listShards(): Promise<ShardInfo[]> {
    const inner = await this.#inner.listShards();
    if (inner.length !== 1) throw new SluiceError(`--shards spreads a one-shard source; this one has ${inner.length}`);
    this.#innerShard = inner[0]!.shardId;
    return Array.from({ length: this.#shards }, (_, i) => ({ shardId: `shard-${i}`, parentShardIds: [] }));
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    const m = /^shard-(\d+)$/.exec(shardId);
    const index = m === null ? NaN : Number(m[1]);
    if (!(index >= 0 && index < this.#shards) || this.#innerShard === undefined) throw new SluiceError(`sharded source has no shard ${shardId}`);
    const n = BigInt(this.#shards);
    const records: ReadResult['records'] = [];
    let cursor = afterSeq;
    for (;;) {
      const read = await this.#inner.read(this.#innerShard, cursor, Math.max(maxRecords, 1_000) * this.#shards);
      for (const r of read.records) {
        if (BigInt(r.seq) % n === BigInt(index)) records.push(r);
        cursor = r.seq;
        if (records.length === maxRecords) return { records, endOfShard: false, endOfData: false };
      }
      if (read.records.length === 0 || read.endOfData)
        return { records, endOfShard: read.endOfShard, endOfData: read.endOfData && records.length < maxRecords };
    }
  }

  async close(): Promise<void> {
    await this.#inner.close?.();
  }
}
