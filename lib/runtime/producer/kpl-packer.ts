import { createHash } from 'node:crypto';
import type { HashRange } from '../../ports/source';
import { aggregate, KplAggregateSize } from '../protocol/kpl-aggregate';

export type { HashRange };

/** Kinesis bills PUT payload units of 25 KB: an aggregate is filled up to one unit. */
export const PAYLOAD_UNIT_BYTES = 25 * 1024;

/** What Kinesis routes a partition key by: its MD5 as a 128-bit big-endian integer. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** A Kinesis record to put: one user record as is, or an aggregate of several, with the inputs it holds. */
export interface PackedRecord {
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly data: Uint8Array;
  /** Indexes of the user records it carries, in order. */
  readonly indexes: number[];
}

const utf8 = new TextEncoder();

/**
 * Packs user records into KPL aggregates of at most `maxBytes` (data and partition key), as the KPL
 * does: records are grouped by the shard their partition key maps to (so each still lands on the
 * shard it would have without aggregation, and keeps its order there), and each aggregate is put
 * with the explicit hash key of its first record. A record too big to share a unit, or alone in its
 * group, goes as it is. Without `ranges` (unknown shards) all records form one group.
 */
export function packAggregates(
  records: ReadonlyArray<{ readonly partitionKey: string; readonly data: Uint8Array }>,
  ranges: readonly HashRange[],
  maxBytes = PAYLOAD_UNIT_BYTES,
): PackedRecord[] {
  const groups = new Map<string, number[]>();
  records.forEach((r, i) => {
    const hash = hashKeyOf(r.partitionKey);
    const shard = ranges.find((range) => hash >= range.start && hash <= range.end)?.shardId ?? '';
    const group = groups.get(shard);
    if (group === undefined) groups.set(shard, [i]);
    else group.push(i);
  });
  const out: PackedRecord[] = [];
  for (const indexes of groups.values()) {
    let current: number[] = [];
    let size = new KplAggregateSize();
    const flush = (): void => {
      if (current.length === 0) return;
      const first = records[current[0]!]!;
      if (current.length === 1) out.push({ partitionKey: first.partitionKey, data: first.data, indexes: current });
      else
        out.push({
          partitionKey: first.partitionKey,
          explicitHashKey: hashKeyOf(first.partitionKey).toString(),
          data: aggregate(current.map((i) => records[i]!)),
          indexes: current,
        });
      current = [];
      size = new KplAggregateSize();
    };
    for (const i of indexes) {
      const r = records[i]!;
      const keyBytes = utf8.encode(records[current[0] ?? i]!.partitionKey).byteLength;
      if (current.length > 0 && size.with(r) + keyBytes > maxBytes) flush();
      current.push(i);
      size.add(r);
    }
    flush();
  }
  return out;
}
