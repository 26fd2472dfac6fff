import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisSource } from '../adapters/aws/kinesis-source';
import { KinesisWriter, type KinesisWriteRecord, type PutAllOptions, type PutAllResult } from '../adapters/aws/kinesis-writer';
import { PUT_RECORDS_MAX_RECORDS } from '../adapters/aws/pack-put-records';
import { SystemClock } from '../adapters/local/system-clock';
import { checkRange } from '../core/rate/check-range';
import { TokenBucket, type TokenBucketState } from '../core/rate/token-bucket';
import type { CheckpointStore } from '../ports/checkpoint-store';
import type { Clock } from '../ports/clock';
import type { ShardInfo } from '../ports/source';
import { listHashRanges } from '../adapters/aws/list-hash-ranges';
import { packAggregates, type HashRange } from '../runtime/producer/kpl-packer';
import { openShardIds, readPublishedRates, type RateReading } from '../runtime/producer/published-rates';

/** User records packed per round when aggregating: many payload units' worth, still one PutRecords of a few MB at most. */
const AGGREGATED_CHUNK = 20_000;

/** Options of {@link Producer}. */
export interface ProducerOptions {
  /** The app whose processors publish the rates (the partition of its control items). */
  readonly app: string;
  /** The Kinesis stream to write to. */
  readonly stream: string;
  readonly kinesis: KinesisClient;
  /** The app's checkpoint store (the DynamoDB table on AWS), where the rates are published. */
  readonly checkpoints: CheckpointStore;
  /** @default the system clock */
  readonly clock?: Clock;
  /** How often the published rates are read again. @default 2_000 */
  readonly refreshIntervalMs?: number;
  /** How often the stream's shard list is read again (splits and merges are rare). @default 60_000 */
  readonly shardRefreshIntervalMs?: number;
  /** Token bucket size in seconds of the rate: the largest burst sent at once. @default 1 */
  readonly burstSeconds?: number;
  /** The processors' static limit, when they have one: a shard never takes more. @default - none */
  readonly maxRatePerShard?: number;
  /** Called when the total rate changes (e.g. to print it). */
  readonly onRate?: (reading: RateReading) => void;
  /**
   * Pack records into KPL aggregates of up to one 25 KB PUT payload unit, grouped by the shard their
   * partition key maps to (docs/decisions/0020): a stream of 100-byte events then costs ~250 times
   * fewer payload units. sluice's processor expands them back, record by record; other consumers must
   * de-aggregate (KCL does). The rate still counts user records.
   * @default false
   */
  readonly aggregate?: boolean;
  /** The stream's open shards' hash key ranges, for `aggregate`. @default ListShards on `stream` */
  readonly listHashRanges?: () => Promise<readonly HashRange[]>;
  /** @default a KinesisWriter on `stream` */
  readonly writer?: Pick<KinesisWriter, 'putAll'>;
  /** @default the stream's shards, listed with ListShards */
  readonly listShards?: () => Promise<readonly ShardInfo[]>;
}

/**
 * A Kinesis producer that honours the rates the controller publishes — Reactive-Streams-style
 * backpressure from the processors back to the source (docs/architecture.md §6). It sends no faster
 * than the sum of the published rates of the stream's open shards, through a token bucket, and
 * reads those rates again every `refreshIntervalMs`, so when the processors slow down, so does it.
 *
 * Fail-static like the processors: if the rates cannot be read again, the last reading stands
 * (only a failure of the very first reading is thrown, as it is most likely a wrong table or app).
 *
 * @example
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * import { KinesisClient } from '@aws-sdk/client-kinesis';
 * import { DynamoDbCheckpointStore, Producer } from 'sluice/producer';
 *
 * const producer = new Producer({ app: 'clicks', stream: 'sluice-clicks', kinesis: new KinesisClient({}),
 *   checkpoints: new DynamoDbCheckpointStore({ client: new DynamoDBClient({}), tableName: 'sluice-clicks' }) });
 * await producer.send(lines.map((line, i) => ({ partitionKey: String(i), data: new TextEncoder().encode(line) })));
 */
export class Producer {
  readonly #o: ProducerOptions;
  readonly #clock: Clock;
  readonly #writer: Pick<KinesisWriter, 'putAll'>;
  readonly #listShards: () => Promise<readonly ShardInfo[]>;
  readonly #refreshMs: number;
  readonly #burstSeconds: number;
  #reading: RateReading | undefined;
  #readAtMs = Number.NEGATIVE_INFINITY;
  #shards: string[] = [];
  #shardsAtMs = Number.NEGATIVE_INFINITY;
  #bucket: TokenBucketState | undefined;
  #ranges: readonly HashRange[] | undefined;
  #rangesAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: ProducerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? new SystemClock();
    this.#writer = options.writer ?? new KinesisWriter({ client: options.kinesis, streamName: options.stream });
    const source = new KinesisSource({ client: options.kinesis, streamName: options.stream });
    this.#listShards = options.listShards ?? (() => source.listShards());
    this.#refreshMs = checkRange('producer.refreshIntervalMs', options.refreshIntervalMs ?? 2_000, { min: 1 });
    this.#burstSeconds = checkRange('producer.burstSeconds', options.burstSeconds ?? 1, { min: 0, minExclusive: true, max: 3_600 });
  }

  /** The total rate in force (records/s), `Infinity` when no shard has a limit; `undefined` before the first send. */
  get ratePerSec(): number | undefined {
    return this.#reading?.totalPerSec;
  }

  /**
   * Writes `records` in order, waiting for tokens before each PutRecords. Resolves once all were
   * tried; `failures` name the input indexes Kinesis refused for good (see {@link KinesisWriter}).
   */
  async send(records: readonly KinesisWriteRecord[], options: PutAllOptions = {}): Promise<PutAllResult> {
    const failures: { index: number; errorCode: string }[] = [];
    let written = 0;
    for (let from = 0; from < records.length;) {
      const n = await this.#acquire(Math.min(records.length - from, this.#o.aggregate === true ? AGGREGATED_CHUNK : PUT_RECORDS_MAX_RECORDS));
      const chunk = records.slice(from, from + n);
      if (this.#o.aggregate === true) {
        // Aggregates, each carrying user records: a failed aggregate fails every record it holds.
        const packed = packAggregates(chunk, await this.#hashRanges());
        const result = await this.#writer.putAll(packed);
        const failed = new Map(result.failures.map((f) => [f.index, f.errorCode]));
        packed.forEach((p, i) => {
          const errorCode = failed.get(i);
          if (errorCode === undefined) written += p.indexes.length;
          else for (const index of p.indexes) failures.push({ index: index + from, errorCode });
        });
      } else {
        const result = await this.#writer.putAll(chunk);
        written += result.written;
        for (const f of result.failures) failures.push({ index: f.index + from, errorCode: f.errorCode });
      }
      from += n;
      options.onProgress?.(written, records.length);
    }
    return { written, failed: failures.length, failures };
  }

  async #hashRanges(): Promise<readonly HashRange[]> {
    const nowMs = this.#clock.nowMs();
    if (this.#ranges === undefined || nowMs - this.#rangesAtMs >= (this.#o.shardRefreshIntervalMs ?? 60_000)) {
      this.#ranges = await (this.#o.listHashRanges ?? (() => listHashRanges(this.#o.kinesis, this.#o.stream)))();
      this.#rangesAtMs = nowMs;
    }
    return this.#ranges;
  }

  /** Waits until `wanted` records (at most one burst) may go, and takes their tokens. */
  async #acquire(wanted: number): Promise<number> {
    for (;;) {
      const rate = await this.#rate();
      if (!Number.isFinite(rate)) return wanted;
      const chunk = Math.min(wanted, Math.max(1, Math.floor(rate * this.#burstSeconds)));
      const nowMs = this.#clock.nowMs();
      const take = TokenBucket.take(this.#bucket, nowMs, chunk, rate, this.#burstSeconds);
      if (take.granted === chunk) {
        this.#bucket = take.state;
        return chunk;
      }
      // Wait for the whole chunk rather than send dribbles, but wake for the next rate reading.
      const missing = chunk - (take.granted + take.state.tokens);
      const waitMs = Math.max(1, Math.ceil((missing / rate) * 1000));
      await this.#clock.sleep(Math.min(waitMs, Math.max(1, this.#readAtMs + this.#refreshMs - nowMs)));
    }
  }

  async #rate(): Promise<number> {
    const nowMs = this.#clock.nowMs();
    if (this.#reading !== undefined && nowMs - this.#readAtMs < this.#refreshMs) return this.#reading.totalPerSec;
    try {
      if (nowMs - this.#shardsAtMs >= (this.#o.shardRefreshIntervalMs ?? 60_000)) {
        this.#shards = openShardIds(await this.#listShards());
        this.#shardsAtMs = nowMs;
      }
      const reading = await readPublishedRates(this.#o.checkpoints, this.#o.app, this.#shards, this.#o.maxRatePerShard);
      if (reading.totalPerSec !== this.#reading?.totalPerSec) this.#o.onRate?.(reading);
      this.#reading = reading;
    } catch (error) {
      if (this.#reading === undefined) throw error;
    }
    this.#readAtMs = nowMs;
    return this.#reading.totalPerSec;
  }
}
