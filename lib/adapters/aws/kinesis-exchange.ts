import { ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import { ConfigError, SluiceError } from '../../core/errors';
import type { ExchangeWriter } from '../../ports/exchange';
import { translateKinesisError } from './kinesis-errors';
import { KinesisWriter } from './kinesis-writer';

/** Options of {@link KinesisExchangeWriter}. */
export interface KinesisExchangeWriterOptions {
  readonly client: KinesisClient;
  /** The exchange stream: as many open shards as the exchange has partitions. */
  readonly streamName: string;
  readonly partitions: number;
  /** Options of the PutRecords retries (attempts, backoff). */
  readonly writer?: Partial<ConstructorParameters<typeof KinesisWriter>[0]>;
}

/**
 * The exchange on AWS (docs/decisions/0015): a Kinesis stream created with one shard per partition.
 * Partition p's chunks go with `ExplicitHashKey` = the middle of p's range in an even split of the
 * hash space ({@link partitionHashKey}), so a key always lands on the one open shard that holds its
 * partition, whatever the partition key — and after a split of that shard, on the one child that
 * took its middle, which then starts from its parent's state. `put` resends exactly the entries
 * PutRecords failed (they may land after later ones: the receiver allows any order within a batch),
 * and throws, retryably, if some never got in — the sending batch then fails before its commit and
 * is re-run, re-sending identical chunks.
 */
export class KinesisExchangeWriter implements ExchangeWriter {
  readonly #o: KinesisExchangeWriterOptions;
  readonly #writer: KinesisWriter;
  #hashKeys: Promise<string[]> | undefined;

  constructor(options: KinesisExchangeWriterOptions) {
    this.#o = options;
    this.#writer = new KinesisWriter({ ...options.writer, client: options.client, streamName: options.streamName });
  }

  /** The open shards of the exchange stream, in hash-key order: shard ids of partitions 0, 1, … */
  static async partitionShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListShardsCommand(token === undefined ? { StreamName: streamName } : { NextToken: token })).catch((error: unknown) => {
        throw translateKinesisError(error);
      });
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token !== undefined);
    return shards
      .filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)
      .sort((a, b) => compareHash(a.HashKeyRange!.StartingHashKey!, b.HashKeyRange!.StartingHashKey!));
  }

  async put(partition: number, records: readonly Uint8Array[]): Promise<void> {
    const keys = await this.#keys();
    const hashKey = keys[partition];
    if (hashKey === undefined) throw new SluiceError(`exchange stream ${this.#o.streamName} has no partition ${partition}`);
    const result = await this.#writer.putAll(records.map((data) => ({ partitionKey: `p${partition}`, explicitHashKey: hashKey, data })));
    if (result.failed > 0) {
      throw new SluiceError(
        `exchange stream ${this.#o.streamName}: ${result.failed} of ${records.length} chunks for partition ${partition} not written (${result.failures[0]!.errorCode}); the batch is re-run`,
        { retryable: true },
      );
    }
  }

  #keys(): Promise<string[]> {
    // Checked once per container: each partition needs an open shard of its own (a merge would put
    // two partitions, and their keys' state, on one shard; the receiver refuses that too).
    this.#hashKeys ??= KinesisExchangeWriter.partitionShards(this.#o.client, this.#o.streamName).then((shards) => {
      const keys = Array.from({ length: this.#o.partitions }, (_, p) => partitionHashKey(p, this.#o.partitions));
      const owners = keys.map((key) =>
        shards.find((s) => BigInt(s.HashKeyRange!.StartingHashKey!) <= BigInt(key) && BigInt(key) <= BigInt(s.HashKeyRange!.EndingHashKey!)),
      );
      for (let p = 0; p < keys.length; p++) {
        const shared = owners.findIndex((o, q) => q !== p && o !== undefined && o.ShardId === owners[p]?.ShardId);
        if (owners[p] === undefined || shared >= 0) {
          throw new ConfigError(
            'exchange stream',
            owners[p] === undefined
              ? `${this.#o.streamName} has no open shard for partition ${p} of ${this.#o.partitions}`
              : `${this.#o.streamName}: partitions ${Math.min(p, shared)} and ${Math.max(p, shared)} of ${this.#o.partitions} are both on shard ${owners[p]!.ShardId} (merged, or created with fewer shards than keyBy({ partitions })); each partition needs a shard of its own`,
          );
        }
      }
      return keys;
    });
    this.#hashKeys.catch(() => (this.#hashKeys = undefined));
    return this.#hashKeys;
  }
}

/** Partition `partition`'s explicit hash key: the middle of its range in an even split of the 128-bit hash space into `partitions`. */
export function partitionHashKey(partition: number, partitions: number): string {
  return ((2n ** 128n * BigInt(2 * partition + 1)) / BigInt(2 * partitions)).toString();
}

function compareHash(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
