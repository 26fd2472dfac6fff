import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compileStages } from '../../../lib/core/engine/compile-stages';
import { decodeChunk, MAX_ELEMENT_BYTES } from '../../../lib/core/exchange/exchange-chunks';
import { pipeline } from '../../../lib/core/pipeline/stream';
import type { ExchangeWriter } from '../../../lib/ports/exchange';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { readCheckpoint } from '../../../lib/runtime/protocol/checkpoint-record';
import { FakeClock } from '../../helpers/fake-clock';

const encoder = new TextEncoder();

describe('an element too big to cross the exchange', () => {
  it('is set aside with the reason, once, and the rest of its batch crosses and commits', async () => {
    // Prepare: a sending stage whose element for the line "big" is a key of 1.1 MB (over a Kinesis record).
    const [sender] = compileStages(
      pipeline('big')
        .map((line: string) => [line === 'big' ? 'x'.repeat(1_100_000) : line, 1] as [string, number])
        .keyBy(undefined, { partitions: 2 })
        .updateStateByKey((values: number[], total: number | undefined) => (total ?? 0) + values.length, { name: 'totals' }),
    ).stages;
    const objects = new MemoryObjectStore();
    const checkpoints = new MemoryCheckpointStore();
    const sent: unknown[] = [];
    const exchangeWriter: ExchangeWriter = {
      put: async (_p, records) => {
        for (const r of records) {
          expect(r.length).toBeLessThan(MAX_ELEMENT_BYTES);
          const chunk = decodeChunk(r);
          if (typeof chunk !== 'string') sent.push(...chunk.elements.map(([e]) => e));
        }
      },
    };
    const processor = () =>
      new MicroBatchProcessor({
        app: 'big',
        pipeline: sender!,
        checkpoints,
        objects,
        clock: new FakeClock({ startMs: 1_000, autoAdvance: true }),
        exchangeWriter,
      });
    const records = ['a', 'big', 'b'].map((line, i) => ({ seq: String(i + 1), arrivalMs: 1_000, partitionKey: 'k', data: encoder.encode(line) }));

    // Act
    const result = await processor().process({ shardId: 's0', records });

    // Assess: committed, the two small elements sent, the big one in quarantine with its reason.
    expect(result.batches).toHaveLength(1);
    expect(result.batches[0]!.quarantinedElements).toBe(1);
    expect(sent).toEqual(
      expect.arrayContaining([
        ['a', 1],
        ['b', 1],
      ]),
    );
    expect(sent).toHaveLength(2);
    const keys = await objects.list('quarantine/big/s0/');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/-exchange-p\d-000000$/);
    const entry = JSON.parse(new TextDecoder().decode(await objects.get(keys[0]!))) as { reason: string; element: string; stage: string };
    expect(entry.stage).toBe('exchange');
    expect(entry.reason).toMatch(
      /^an element of 1,100,\d{3} bytes of JSON is larger than a Kinesis record allows \(1,044,480\): it cannot cross the exchange to partition \d$/,
    );
    expect(entry.element.length).toBeGreaterThan(1_100_000);
    expect((await readCheckpoint(checkpoints, 'big', 's0'))?.totals?.quarantinedElements).toBe(1);
  });
});
