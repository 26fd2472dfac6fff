import { describe, expect, it } from 'vitest';
import type { KinesisWriteRecord, PutAllResult } from '../../../../lib/adapters/aws/kinesis-writer';
import { MemoryCheckpointStore } from '../../../../lib/adapters/local/memory-checkpoint-store';
import { deaggregate, isKplAggregate } from '../../../../lib/runtime/protocol/kpl-aggregate';
import { hashKeyOf, PAYLOAD_UNIT_BYTES, type HashRange } from '../../../../lib/runtime/producer/kpl-packer';
import { Producer } from '../../../../lib/compose/producer';
import { FakeClock } from '../../../helpers/fake-clock';
import { deaggregateIndependently } from '../../../helpers/kpl-independent';

const HALF = 2n ** 127n;
const RANGES: HashRange[] = [
  { shardId: 's0', start: 0n, end: HALF - 1n },
  { shardId: 's1', start: HALF, end: 2n ** 128n - 1n },
];
const shardOf = (hash: bigint): string => (hash < HALF ? 's0' : 's1');

/** A writer that keeps what it was given and fails the Kinesis records at `failing` indexes of its first call. */
class KeepingWriter {
  readonly puts: KinesisWriteRecord[] = [];
  constructor(private readonly failing: ReadonlySet<number> = new Set()) {}
  async putAll(records: readonly KinesisWriteRecord[]): Promise<PutAllResult> {
    const failures = records.flatMap((_, i) => (this.failing.has(i) && this.puts.length === 0 ? [{ index: i, errorCode: 'InternalFailure' }] : []));
    this.puts.push(...records);
    return { written: records.length - failures.length, failed: failures.length, failures };
  }
}

const users = Array.from({ length: 3_000 }, (_, i) => ({ partitionKey: `user-${i % 97}`, data: new TextEncoder().encode(`${i}`.padEnd(100, '.')) }));

function producer(writer: KeepingWriter): Producer {
  return new Producer({
    app: 'a',
    stream: 's',
    kinesis: undefined as never,
    checkpoints: new MemoryCheckpointStore(),
    clock: new FakeClock({ startMs: 0, autoAdvance: true }),
    writer,
    listShards: async () => [],
    listHashRanges: async () => RANGES,
    aggregate: true,
  });
}

describe('Producer with aggregate', () => {
  it('packs records into aggregates of at most one payload unit, each routed to the shard of every record it holds', async () => {
    // Act
    const writer = new KeepingWriter();
    const result = await producer(writer).send(users);
    // Assess
    expect(result).toEqual({ written: 3_000, failed: 0, failures: [] });
    expect(writer.puts.length).toBeLessThan(20);
    const byShard = new Map<string, string[]>();
    for (const put of writer.puts) {
      expect(isKplAggregate(put.data)).toBe(true);
      expect(put.data.byteLength + Buffer.byteLength(put.partitionKey)).toBeLessThanOrEqual(PAYLOAD_UNIT_BYTES);
      const shard = shardOf(BigInt(put.explicitHashKey!));
      const inside = deaggregateIndependently(put.data);
      expect(inside.every((u) => shardOf(hashKeyOf(u.partitionKey)) === shard)).toBe(true);
      byShard.set(shard, [...(byShard.get(shard) ?? []), ...inside.map((u) => new TextDecoder().decode(u.data))]);
    }
    // Every record once, in its order within its shard.
    for (const [shard, datas] of byShard) {
      expect(datas).toEqual(users.filter((u) => shardOf(hashKeyOf(u.partitionKey)) === shard).map((u) => new TextDecoder().decode(u.data)));
    }
  });

  it('reports every user record of an aggregate Kinesis refused, by its input index', async () => {
    const writer = new KeepingWriter(new Set([0]));
    const result = await producer(writer).send(users);
    const refused = deaggregate(writer.puts[0]!.data);
    expect(refused.ok).toBe(true);
    const count = refused.ok ? refused.records.length : 0;
    expect(result.failed).toBe(count);
    expect(result.written).toBe(3_000 - count);
    expect(result.failures.map((f) => users[f.index]!.data)).toEqual(refused.ok ? refused.records.map((r) => r.data) : []);
  });
});
