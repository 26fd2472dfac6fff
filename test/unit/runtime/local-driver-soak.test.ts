import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import type { Source } from '../../../lib/ports/source';
import { LocalDriver } from '../../../lib/runtime/local-driver/local-driver';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { FakeClock } from '../../helpers/fake-clock';

/** Ticks before the first measurement: caches, JIT and the stores settle. */
const WARMUP_TICKS = 2_000;
/** Ticks between the two measurements: a run of about 5.5 hours at the default 1 s interval. */
const SOAK_TICKS = 20_000;
/**
 * Heap the driver may gain over the soak, after a full collection. An abort listener left behind
 * per tick costs about 250 bytes (listener, closure, promise), so a leak shows as several MB.
 */
const MAX_HEAP_GROWTH_BYTES = 1024 * 1024;

/** V8's full collection, as `--expose-gc` would give it, without restarting the worker. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A live source that never has anything to read: every tick is an empty batch interval. */
const quietSource: Source = {
  listShards: async () => [{ shardId: 'quiet-0', parentShardIds: [] }],
  read: async () => ({ records: [], endOfShard: false, endOfData: false }),
};

describe('LocalDriver', () => {
  it('keeps its abort listeners and its heap bounded over many thousands of batch intervals', async () => {
    // Prepare: a driver with a stop signal (as `sluice run` has), on a clock that sleeps instantly.
    const gc = collector();
    const clock = new FakeClock({ startMs: 1_700_000_000_000, autoAdvance: true });
    const checkpoints = new MemoryCheckpointStore();
    const processor = new MicroBatchProcessor({
      app: 'soak',
      pipeline: compilePipeline(wordCount as never),
      checkpoints,
      objects: new MemoryObjectStore(),
      clock,
    });
    const stop = new AbortController();
    const samples: Array<{ listeners: number; heapBytes: number }> = [];
    let ticks = 0;
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    const sample = (): void => {
      gc();
      samples.push({ listeners: getEventListeners(stop.signal, 'abort').length, heapBytes: process.memoryUsage().heapUsed });
    };
    const driver = new LocalDriver({
      app: 'soak',
      source: quietSource,
      processor,
      checkpoints,
      clock,
      batchIntervalMs: 1_000,
      durationMs: (WARMUP_TICKS + SOAK_TICKS + 10) * 1_000,
      signal: stop.signal,
      onBatch: () => {
        ticks++;
        if (ticks === WARMUP_TICKS || ticks === WARMUP_TICKS + SOAK_TICKS) sample();
      },
    });

    // Act
    const result = await driver.run().finally(() => process.off('warning', onWarning));

    // Assess
    expect(result.stoppedBy).toBe('duration');
    expect(ticks).toBeGreaterThanOrEqual(WARMUP_TICKS + SOAK_TICKS);
    const [before, after] = samples;
    expect(after!.listeners).toBeLessThanOrEqual(1);
    expect(after!.heapBytes - before!.heapBytes).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });
});
