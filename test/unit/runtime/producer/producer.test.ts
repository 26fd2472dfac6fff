import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../../lib/adapters/local/memory-checkpoint-store';
import type { KinesisWriteRecord, PutAllResult } from '../../../../lib/adapters/aws/kinesis-writer';
import { ThrottledError } from '../../../../lib/core/errors';
import { Producer, type ProducerOptions } from '../../../../lib/compose/producer';
import { StorageKeys } from '../../../../lib/runtime/protocol/storage-keys';
import { FakeClock } from '../../../helpers/fake-clock';
import { SwitchableStore } from '../controller/switchable-store';

const APP = 'clicks';
const SHARDS = [
  { shardId: 's0', parentShardIds: [] },
  { shardId: 's1', parentShardIds: [] },
];

/** A writer that records when each PutRecords call went out and how many records it carried. */
class RecordingWriter {
  readonly calls: Array<{ atMs: number; count: number }> = [];
  constructor(private readonly clock: FakeClock) {}
  async putAll(records: readonly KinesisWriteRecord[]): Promise<PutAllResult> {
    this.calls.push({ atMs: this.clock.nowMs(), count: records.length });
    return { written: records.length, failed: 0, failures: [] };
  }
}

const records = (n: number): KinesisWriteRecord[] => Array.from({ length: n }, (_, i) => ({ partitionKey: String(i), data: new Uint8Array([i % 256]) }));

function setup(options: Partial<ProducerOptions> = {}) {
  const memory = new MemoryCheckpointStore();
  const store = new SwitchableStore(memory);
  const clock = new FakeClock({ startMs: 1_000_000, autoAdvance: true });
  const writer = new RecordingWriter(clock);
  const publish = async (shardId: string, rateLimit: number) => {
    const pk = StorageKeys.shardPartition(APP, shardId);
    const previous = await memory.get(pk, StorageKeys.CONTROL_SK);
    await memory.transact([
      { kind: 'put', item: { pk, sk: StorageKeys.CONTROL_SK, version: (previous?.version ?? 0) + 1, data: JSON.stringify({ rateLimit }) } },
    ]);
  };
  const producer = new Producer({
    app: APP,
    stream: 'clicks',
    kinesis: undefined as never,
    checkpoints: store,
    clock,
    writer,
    listShards: async () => SHARDS,
    ...options,
  });
  /** Sends `n` records; returns their rate from the start of the call to the last PutRecords. */
  const measure = async (n: number) => {
    const startMs = clock.nowMs();
    const result = await producer.send(records(n));
    return { result, perSec: (n / (writer.calls.at(-1)!.atMs - startMs)) * 1000 };
  };
  return { store, clock, writer, publish, producer, measure };
}

describe('Producer', () => {
  describe('send', () => {
    it("sends no faster than the sum of the shards' published rates, then slows down when they drop", async () => {
      // Prepare: 300 + 300 records/s; a first send empties the full bucket.
      const { publish, producer, measure, clock } = setup();
      await publish('s0', 300);
      await publish('s1', 300);
      await producer.send(records(600));
      // Act
      const fast = await measure(1_800);
      await publish('s0', 50);
      await publish('s1', 50);
      // Within one refresh interval the producer reads the new rates; a send then empties the bucket.
      await clock.sleep(2_000);
      await producer.send(records(100));
      const slow = await measure(300);
      // Assess
      expect(fast.perSec).toBeCloseTo(600, -1);
      expect(slow.perSec).toBeCloseTo(100, 0);
      expect(fast.result).toEqual({ written: 1_800, failed: 0, failures: [] });
      expect(producer.ratePerSec).toBe(100);
    });

    it('never puts more than one burst in one PutRecords call', async () => {
      // Prepare
      const { publish, producer, writer } = setup({ burstSeconds: 0.5 });
      await publish('s0', 100);
      await publish('s1', 100);
      // Act
      await producer.send(records(1_000));
      // Assess
      expect(Math.max(...writer.calls.map((c) => c.count))).toBe(100);
      expect(writer.calls.reduce((n, c) => n + c.count, 0)).toBe(1_000);
    });

    it('sends at once, 500 records per call, when no shard has a published rate', async () => {
      // Prepare
      const { producer, writer, clock } = setup();
      const startMs = clock.nowMs();
      // Act
      await producer.send(records(1_200));
      // Assess
      expect(writer.calls).toEqual([
        { atMs: startMs, count: 500 },
        { atMs: startMs, count: 500 },
        { atMs: startMs, count: 200 },
      ]);
      expect(producer.ratePerSec).toBe(Number.POSITIVE_INFINITY);
    });

    it('keeps the last rate when the published rates cannot be read again', async () => {
      // Prepare
      const { store, publish, producer, measure } = setup();
      await publish('s0', 100);
      await publish('s1', 100);
      await producer.send(records(200));
      store.failing = true;
      // Act
      const during = await measure(600);
      // Assess
      expect(during.perSec).toBeCloseTo(200, 0);
    });

    it('rejects when the very first reading of the rates fails', async () => {
      // Prepare
      const { store, producer } = setup();
      store.failing = true;
      // Act / Assess
      await expect(producer.send(records(1))).rejects.toThrow(ThrottledError);
    });

    it('reports each change of the total rate', async () => {
      // Prepare
      const seen: number[] = [];
      const { publish, producer } = setup({ onRate: (r) => seen.push(r.totalPerSec), refreshIntervalMs: 500 });
      await publish('s0', 200);
      await publish('s1', 200);
      // Act
      await producer.send(records(400));
      await publish('s1', 100);
      await producer.send(records(900));
      // Assess
      expect(seen).toEqual([400, 300]);
    });
  });
});
