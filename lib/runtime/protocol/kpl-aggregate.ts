import { createHash } from 'node:crypto';
import protobuf from 'protobufjs';

/**
 * The Kinesis Producer Library's aggregated record format, which the KPL, the Kinesis Agent, Fluent
 * Bit and others write and the event source mapping delivers as is:
 *
 *     0xF3 0x89 0x9A 0xC2 | protobuf AggregatedRecord | MD5(protobuf bytes), 16 bytes
 *
 * (https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md). The
 * messages are declared here as JSON for protobufjs, so nothing is read from disk at cold start.
 */
export const KPL_MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);

const DIGEST_BYTES = 16;

const root = protobuf.Root.fromJSON({
  nested: {
    AggregatedRecord: {
      fields: {
        partitionKeyTable: { rule: 'repeated', type: 'string', id: 1 },
        explicitHashKeyTable: { rule: 'repeated', type: 'string', id: 2 },
        records: { rule: 'repeated', type: 'Record', id: 3 },
      },
    },
    Tag: { fields: { key: { rule: 'required', type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
    Record: {
      fields: {
        partitionKeyIndex: { rule: 'required', type: 'uint64', id: 1 },
        explicitHashKeyIndex: { type: 'uint64', id: 2 },
        data: { rule: 'required', type: 'bytes', id: 3 },
        tags: { rule: 'repeated', type: 'Tag', id: 4 },
      },
    },
  },
});
const AggregatedRecord = root.lookupType('AggregatedRecord');

/** One user record packed in an aggregate. */
export interface KplUserRecord {
  readonly partitionKey: string;
  /** The hash key the producer chose, if any (it decided the shard, not the partition key). */
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
}

interface DecodedAggregate {
  partitionKeyTable: string[];
  explicitHashKeyTable: string[];
  records: Array<{ partitionKeyIndex: number | { toNumber(): number }; explicitHashKeyIndex?: number | { toNumber(): number } | null; data: Uint8Array }>;
}

/** True when `data` starts with the KPL magic bytes and is long enough to hold a digest. */
export function isKplAggregate(data: Uint8Array): boolean {
  return data.byteLength >= KPL_MAGIC.byteLength + DIGEST_BYTES && KPL_MAGIC.every((b, i) => data[i] === b);
}

/** What de-aggregating a record gives: its user records in order, or why it is refused. */
export type Deaggregated = { readonly ok: true; readonly records: KplUserRecord[] } | { readonly ok: false; readonly reason: string };

/**
 * Expands a KPL aggregate into its user records, after checking its MD5 digest. A record whose digest
 * does not match, whose protobuf does not parse, or whose records name keys the tables do not hold
 * is refused with the reason: a record at fault, for the quarantine.
 */
export function deaggregate(data: Uint8Array): Deaggregated {
  if (!isKplAggregate(data)) return { ok: false, reason: 'not a KPL aggregated record (no magic bytes)' };
  const body = data.subarray(KPL_MAGIC.byteLength, data.byteLength - DIGEST_BYTES);
  const digest = data.subarray(data.byteLength - DIGEST_BYTES);
  const actual = createHash('md5').update(body).digest();
  if (!actual.equals(digest))
    return {
      ok: false,
      reason: `KPL aggregated record: MD5 digest does not match its ${body.byteLength} bytes of protobuf (stored ${Buffer.from(digest).toString('hex')}, computed ${actual.toString('hex')})`,
    };
  let message: DecodedAggregate;
  try {
    message = AggregatedRecord.toObject(AggregatedRecord.decode(body), { arrays: true, defaults: false }) as DecodedAggregate;
  } catch (error) {
    return { ok: false, reason: `KPL aggregated record: protobuf does not parse (${error instanceof Error ? error.message : String(error)})` };
  }
  const records: KplUserRecord[] = [];
  for (const [i, r] of message.records.entries()) {
    const pk = message.partitionKeyTable[toIndex(r.partitionKeyIndex)];
    if (pk === undefined)
      return {
        ok: false,
        reason: `KPL aggregated record: user record ${i} names partition key ${toIndex(r.partitionKeyIndex)} of a table of ${message.partitionKeyTable.length}`,
      };
    const ehkIndex = r.explicitHashKeyIndex === undefined || r.explicitHashKeyIndex === null ? undefined : toIndex(r.explicitHashKeyIndex);
    const explicitHashKey = ehkIndex === undefined ? undefined : message.explicitHashKeyTable[ehkIndex];
    if (ehkIndex !== undefined && explicitHashKey === undefined)
      return {
        ok: false,
        reason: `KPL aggregated record: user record ${i} names explicit hash key ${ehkIndex} of a table of ${message.explicitHashKeyTable.length}`,
      };
    records.push({ partitionKey: pk, ...(explicitHashKey === undefined ? {} : { explicitHashKey }), data: new Uint8Array(r.data ?? new Uint8Array()) });
  }
  if (records.length === 0) return { ok: false, reason: 'KPL aggregated record: holds no user record' };
  return { ok: true, records };
}

function toIndex(value: number | { toNumber(): number }): number {
  return typeof value === 'number' ? value : value.toNumber();
}

/**
 * Packs user records into one KPL aggregate (magic, protobuf, MD5), partition keys deduplicated in
 * the table in order of first use. The aggregate's own partition key is the first record's.
 */
export function aggregate(records: readonly KplUserRecord[]): Uint8Array {
  const keys = new Map<string, number>();
  const message = {
    partitionKeyTable: [] as string[],
    records: records.map((r) => {
      let index = keys.get(r.partitionKey);
      if (index === undefined) {
        index = keys.size;
        keys.set(r.partitionKey, index);
      }
      return { partitionKeyIndex: index, data: r.data };
    }),
  };
  message.partitionKeyTable = [...keys.keys()];
  const body = AggregatedRecord.encode(AggregatedRecord.fromObject(message)).finish();
  const digest = createHash('md5').update(body).digest();
  const out = new Uint8Array(KPL_MAGIC.byteLength + body.byteLength + DIGEST_BYTES);
  out.set(KPL_MAGIC, 0);
  out.set(body, KPL_MAGIC.byteLength);
  out.set(digest, KPL_MAGIC.byteLength + body.byteLength);
  return out;
}

const utf8 = new TextEncoder();

/** Bytes of a protobuf varint holding `n`. */
function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/** Bytes of a length-delimited field of `length` bytes (tag, length, payload). */
function delimitedBytes(length: number): number {
  return 1 + varintBytes(length) + length;
}

/**
 * Grows an aggregate one user record at a time and says, exactly, how many bytes the aggregate (with
 * magic and digest) would have with one more: how a producer fills Kinesis' 25 KB payload unit.
 */
export class KplAggregateSize {
  readonly #keys = new Map<string, number>();
  #bytes = KPL_MAGIC.byteLength + DIGEST_BYTES;

  /** The aggregate's size so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The size the aggregate would have with `record` added. */
  with(record: { readonly partitionKey: string; readonly data: Uint8Array }): number {
    return this.#bytes + this.#added(record);
  }

  add(record: { readonly partitionKey: string; readonly data: Uint8Array }): void {
    this.#bytes += this.#added(record);
    if (!this.#keys.has(record.partitionKey)) this.#keys.set(record.partitionKey, this.#keys.size);
  }

  #added(record: { readonly partitionKey: string; readonly data: Uint8Array }): number {
    const known = this.#keys.get(record.partitionKey);
    const index = known ?? this.#keys.size;
    const keyEntry = known === undefined ? delimitedBytes(utf8.encode(record.partitionKey).byteLength) : 0;
    const inner = 1 + varintBytes(index) + delimitedBytes(record.data.byteLength);
    return keyEntry + delimitedBytes(inner);
  }
}
