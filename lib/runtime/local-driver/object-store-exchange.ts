import { SluiceError } from '../../core/errors';
import type { ExchangeWriter } from '../../ports/exchange';
import type { ObjectStore } from '../../ports/object-store';
import type { ReadResult, ShardInfo, Source } from '../../ports/source';

/** The shard id of partition `p` of an exchange, as the receiving stage sees it. */
export function partitionShardId(p: number): string {
  return `part-${p}`;
}

/**
 * The exchange of local mode (docs/decisions/0015): one append-only log per partition in the app's
 * object store (files under `DIR/objects/exchange/…` with `sluice run`, a map in tests), each record
 * a create-only object `exchange/{stage app}/part-{p}/{position:020}`. Appending takes the next free
 * position (create-only, so two writers never share one); a crash between appends leaves a prefix,
 * and the sender's re-run appends the missing records again — at least once, as Kinesis is.
 *
 * The receiving stage reads it as its {@link Source}: positions are sequence numbers, so its
 * checkpoint, WAL and redelivery checks work as they do on any source.
 */
export class ObjectStoreExchange implements ExchangeWriter, Source {
  readonly id: string;
  readonly #objects: ObjectStore;
  readonly #prefix: string;
  readonly #partitions: number;
  /** Next free position per partition, as far as this process knows (a create-only miss moves it on). */
  readonly #tail = new Map<number, number>();
  /** When set, every record read arrives at this time (the local driver's clock); elements carry their own times. */
  readonly #nowMs: () => number;
  /** Told that the sending stage is done (a finite source, drained): reads then report the end of data. */
  #senderDone = false;

  constructor(options: { objects: ObjectStore; stageApp: string; partitions: number; nowMs: () => number }) {
    this.#objects = options.objects;
    this.#prefix = `exchange/${options.stageApp}/`;
    this.#partitions = options.partitions;
    this.#nowMs = options.nowMs;
    this.id = `exchange:${options.stageApp}`;
  }

  /** The sending stage has nothing more to send: the receiving stage may drain and stop. */
  senderDone(): void {
    this.#senderDone = true;
  }

  async put(partition: number, records: readonly Uint8Array[]): Promise<void> {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.#partitions)
      throw new SluiceError(`exchange ${this.id} has no partition ${partition}`);
    for (const body of records) {
      let pos = this.#tail.get(partition) ?? (await this.#lastPosition(partition)) + 1;
      while (!(await this.#objects.putIfAbsent(this.#key(partition, pos), body))) pos++;
      this.#tail.set(partition, pos + 1);
    }
  }

  async listShards(): Promise<ShardInfo[]> {
    return Array.from({ length: this.#partitions }, (_, p) => ({ shardId: partitionShardId(p), parentShardIds: [] }));
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    const p = this.#partitionOf(shardId);
    const after = afterSeq === undefined ? 0 : Number(afterSeq);
    const done = this.#senderDone;
    const keys = await this.#keys(p);
    const wanted = keys.filter((k) => positionOf(k) > after).slice(0, maxRecords);
    const nowMs = this.#nowMs();
    const records = await Promise.all(
      wanted.map(async (key) => {
        const data = await this.#objects.get(key);
        if (data === undefined) throw new SluiceError(`${key}: exchange record listed but missing`);
        return { seq: String(positionOf(key)), arrivalMs: nowMs, partitionKey: shardId, data };
      }),
    );
    const last = wanted.length === 0 ? after : positionOf(wanted[wanted.length - 1]!);
    const atEnd = last >= (keys.length === 0 ? 0 : positionOf(keys[keys.length - 1]!));
    return { records, endOfShard: false, endOfData: done && atEnd };
  }

  #partitionOf(shardId: string): number {
    const m = /^part-(\d+)$/.exec(shardId);
    const p = m === null ? NaN : Number(m[1]);
    if (!(p >= 0 && p < this.#partitions)) throw new SluiceError(`exchange ${this.id} has no shard ${shardId}`);
    return p;
  }

  async #keys(p: number): Promise<string[]> {
    return (await this.#objects.list(`${this.#prefix}${partitionShardId(p)}/`)).filter((k) => /\/\d{20}$/.test(k));
  }

  async #lastPosition(p: number): Promise<number> {
    const keys = await this.#keys(p);
    return keys.length === 0 ? 0 : positionOf(keys[keys.length - 1]!);
  }

  #key(p: number, pos: number): string {
    return `${this.#prefix}${partitionShardId(p)}/${String(pos).padStart(20, '0')}`;
  }
}

function positionOf(key: string): number {
  return Number(key.slice(key.lastIndexOf('/') + 1));
}
