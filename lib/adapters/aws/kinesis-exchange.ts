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
 * The exchange on AWS (docs/decisions/0015): a Kinesis stream whose open shards, in hash-key order,
 * are the partitions. Partition p's chunks go to shard p with `ExplicitHashKey` = the first hash
 * key of its range, so a key always lands on the shard that owns it, whatever the partition key.
 * `put` resends exactly the entries PutRecords failed (they may land after later ones: the receiver
 * allows any order within a batch), and throws, retryably, if some never got in — the sending batch
 * then fails before its commit and is re-run, re-sending identical chunks.
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
    this.#hashKeys ??= KinesisExchangeWriter.partitionShards(this.#o.client, this.#o.streamName).then((shards) => {
      if (shards.length !== this.#o.partitions) {
        throw new ConfigError(
          'exchange stream',
          `${this.#o.streamName} has ${shards.length} open shards; the pipeline's exchange has ${this.#o.partitions} partitions (keyBy({ partitions }))`,
        );
      }
      return shards.map((s) => s.HashKeyRange!.StartingHashKey!);
    });
    this.#hashKeys.catch(() => (this.#hashKeys = undefined));
    return this.#hashKeys;
  }
}

function compareHash(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
