import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compileStages } from '../../../lib/core/engine/compile-stages';
import { decodeExchangeBatch } from '../../../lib/core/exchange/decode-exchange-batch';
import { buildChunks, encodeChunk } from '../../../lib/core/exchange/exchange-chunks';
import { pipeline, type Stream } from '../../../lib/core/pipeline/stream';
import type { SourceRecord } from '../../../lib/core/source-record';
import type { CheckpointStore } from '../../../lib/ports/checkpoint-store';
import type { ExchangeWriter } from '../../../lib/ports/exchange';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { FakeClock } from '../../helpers/fake-clock';
import topKGlobal from '../../../examples/top-k-global';

const encoder = new TextEncoder();

/** word count keyed over `partitions`, its two stages. */
function stages(partitions: number) {
  return compileStages(
    pipeline('words')
      .map((line: string) => [line, 1] as [string, number])
      .keyBy(undefined, { partitions })
      .updateStateByKey((values: number[], total: number | undefined) => (total ?? 0) + values.reduce((a, b) => a + b, 0), { name: 'totals' }),
  ).stages;
}

function record(seq: number, data: Uint8Array): SourceRecord {
  return { seq: String(seq), arrivalMs: 1_000 * seq, partitionKey: 'p', data };
}

/** The chunks origin `origin`'s batch `batchNo` sends to partition `partition` of `partitions`, as records. */
function chunksOf(origin: string, batchNo: number, partition: number, partitions: number, seq: number): SourceRecord[] {
  const perPartition = Array.from({ length: partitions }, (_, p) => (p === partition ? [[`w${p}`, 1] as const] : []));
  return buildChunks({ origin, batchNo, watermarkMs: 1_000, perPartition: perPartition.map((e) => e.map((x) => [x, 1_000] as const)), progress: true })[
    partition
  ]!.map((c, i) => record(seq + i, encodeChunk(c)));
}

describe('an exchange shard holds one partition (docs/decisions/0015, Resharding)', () => {
  it('decodes chunks of the partition it holds, and refuses another in one line: a merge, or a new partition count', () => {
    const first = decodeExchangeBatch(chunksOf('s0', 1, 2, 4, 1), {}, ['s0']);
    expect(first.partition).toEqual([2, 4]);
    expect(() => decodeExchangeBatch(chunksOf('s0', 2, 3, 4, 2), first.state, ['s0'], false, first.partition)).toThrow(
      /^exchange: a shard holding partition 2 of 4 received a chunk of partition 3 of 4: two exchange shards were merged/,
    );
    expect(() => decodeExchangeBatch(chunksOf('s0', 2, 2, 8, 2), first.state, ['s0'], false, first.partition)).toThrow(
      /partition 2 of 4 received a chunk of partition 2 of 8: the pipeline's partition count changed, .* run it under a new app name$/,
    );
  });

  it('a sending stage whose partition count changed stops before it sends anything', async () => {
    const checkpoints = new MemoryCheckpointStore();
    const objects = new MemoryObjectStore();
    const clock = new FakeClock({ startMs: 1_000, autoAdvance: true });
    const sent: number[] = [];
    const exchangeWriter: ExchangeWriter = { put: async (p) => void sent.push(p) };
    const sender = (partitions: number) =>
      new MicroBatchProcessor({ app: 'words', pipeline: stages(partitions)[0]!, checkpoints, objects, clock, exchangeWriter });
    await sender(4).process({ shardId: 's0', records: [record(1, encoder.encode('a')), record(2, encoder.encode('b'))] });
    const before = sent.length;
    await expect(sender(8).process({ shardId: 's0', records: [record(3, encoder.encode('c'))] })).rejects.toThrow(
      /^keyBy\({ partitions }\): stage words sent to 4 partitions and now has 8: keys would move away from their state/,
    );
    expect(sent.length).toBe(before);
  });

  it('a receiving shard that follows two shards holding a partition each (merged) stops in one line, and commits nothing', async () => {
    const checkpoints = new MemoryCheckpointStore();
    const objects = new MemoryObjectStore();
    const clock = new FakeClock({ startMs: 1_000, autoAdvance: true });
    const receiver = new MicroBatchProcessor({
      app: 'words.s1',
      pipeline: stages(4)[1]!,
      checkpoints,
      objects,
      clock,
      exchangeOrigins: ['s0'],
      exchangeParents: async (shardId) => (shardId === 'x-merged' ? ['x-2', 'x-3'] : []),
    });
    await receiver.process({ shardId: 'x-2', records: chunksOf('s0', 1, 2, 4, 1) });
    await receiver.process({ shardId: 'x-3', records: chunksOf('s0', 1, 3, 4, 1) });
    await expect(receiver.process({ shardId: 'x-merged', records: chunksOf('s0', 2, 2, 4, 10) })).rejects.toThrow(
      /^exchange: shard x-merged of stage words.s1 follows x-2 and x-3, which both hold a partition: merged exchange shards are not supported/,
    );
    expect(await checkpoints.get('words.s1#x-merged', 'meta#checkpoint')).toBeUndefined();
  });

  it('a re-run of a receiving batch waits for the origins its first attempt listed (kept in the WAL), and re-sends identical chunks', async () => {
    // Prepare: top-k-global's stage 1 (windows after keyBy, sending to global()), whose commit fails once.
    const staged = compileStages(topKGlobal as Stream<unknown>);
    const checkpoints = new MemoryCheckpointStore();
    let crash = true;
    const crashing: CheckpointStore = {
      get: (pk, sk) => checkpoints.get(pk, sk),
      query: (pk, prefix) => checkpoints.query(pk, prefix),
      transact: async (writes) => {
        if (crash) {
          crash = false;
          throw new Error('injected crash before the commit');
        }
        return checkpoints.transact(writes);
      },
    };
    const attempts: string[][] = [[], []];
    let attempt = 0;
    const exchangeWriter: ExchangeWriter = { put: async (_p, records) => void attempts[attempt]!.push(...records.map((r) => new TextDecoder().decode(r))) };
    let origins = ['s0'];
    const receiver = new MicroBatchProcessor({
      app: 'top-k-global.s1',
      pipeline: staged.stages[1]!,
      checkpoints: crashing,
      objects: new MemoryObjectStore(),
      clock: new FakeClock({ startMs: 30_000, autoAdvance: true }),
      exchangeWriter,
      exchangeOrigins: () => origins,
    });
    // s0's batch 1 to partition 0: words at 1 s and 2 s, and its progress at 20 s, so windows close.
    const perPartition = [[[['a', 3], 1_000] as const, [['b', 2], 2_000] as const], [], [], []];
    const records = buildChunks({ origin: 's0', batchNo: 1, watermarkMs: 20_000, perPartition, progress: true })[0]!.map((c, i) =>
      record(i + 1, encodeChunk(c)),
    );

    // Act: the first attempt sends its closed windows and crashes at its commit; a split then adds an
    // origin to the list (s1, which has sent nothing); the re-run runs the batch from the WAL.
    await expect(receiver.process({ shardId: 'x-0', records })).rejects.toThrow('injected crash before the commit');
    attempt = 1;
    origins = ['s0', 's1'];
    await receiver.process({ shardId: 'x-0', records });

    // Assess: the same windows closed, so the same chunks went out (a receiver after it would refuse others).
    expect(attempts[0]!.length).toBeGreaterThan(0);
    expect(attempts[0]!.some((chunk) => chunk.includes('"a"'))).toBe(true);
    expect(attempts[1]).toEqual(attempts[0]);
  });
});
