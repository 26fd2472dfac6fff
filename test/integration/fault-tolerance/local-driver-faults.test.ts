import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import type { ForeachBatchFn } from '../../../lib/core/pipeline/op-spec';
import { pipeline } from '../../../lib/core/pipeline/stream';
import type { SourceRecord } from '../../../lib/core/source-record';
import type { Source } from '../../../lib/ports/source';
import { BatchRetryPolicy } from '../../../lib/runtime/failures/batch-retry-policy';
import { LocalDriver } from '../../../lib/runtime/local-driver/local-driver';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { readQuarantine } from '../../../lib/runtime/failures/read-quarantine';
import { FakeClock } from '../../helpers/fake-clock';
import { FaultInjector } from '../../helpers/faults/fault-injector';
import { randomFaults } from '../../helpers/faults/fault-plan';
import { seededRandom } from '../../helpers/run-cli';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';

/** A finite log of one shard, read from a position. */
function logSource(records: readonly SourceRecord[]): Source {
  return {
    listShards: async () => [{ shardId: 'log-0', parentShardIds: [] }],
    read: async (_shard, afterSeq, max) => {
      const from = afterSeq === undefined ? 0 : records.findIndex((r) => r.seq === afterSeq) + 1;
      const out = records.slice(from, from + max);
      return { records: out, endOfShard: false, endOfData: from + out.length >= records.length };
    },
  };
}

describe('LocalDriver under transient faults of every port', () => {
  it.each([1, 2, 3, 4, 5])('finishes with exact counts when reads, stores and the sink throttle and fail (seed %i)', async (seed) => {
    // Prepare: 10% of calls to the source, the stores and the sink fail with a throttle, a 5xx or a sink error.
    // Startup (listing shards, reading positions) is left alone: a run that cannot start just ends.
    const faults = randomFaults(seededRandom(seed), { throttle: 0.04, 'server-error': 0.04, 'sink-error': 0.1 });
    const injector = new FaultInjector((call) => (call.op === 'listShards' ? undefined : faults(call)));
    const sink: ForeachBatchFn = () => undefined;
    const counting = compilePipeline(
      pipeline('faulty')
        .flatMap((line: string) => line.split(/\s+/))
        .filter((w) => w.length > 0)
        .foreachBatch(injector.sink(sink))
        .countByValue()
        .updateStateByKey<string, number, number>((c, t = 0) => t + c.reduce((a, b) => a + b, 0), { merge: (a, b) => a + b }) as never,
    );
    const checkpoints = new MemoryCheckpointStore();
    const objects = new MemoryObjectStore();
    const clock = new FakeClock({ startMs: 1_700_000_000_000, autoAdvance: true });
    const ports = { checkpoints: injector.checkpoints(checkpoints), objects: injector.objects(objects) };
    const failurePolicy = new BatchRetryPolicy({ app: 'faulty', pipeline: counting, ...ports, clock });
    const processor = new MicroBatchProcessor({ app: 'faulty', pipeline: counting, ...ports, clock, failurePolicy });
    const lines = sampleLines(400, seed);
    const failures: unknown[] = [];
    const driver = new LocalDriver({
      app: 'faulty',
      source: injector.source(logSource(recordsOf(lines))),
      processor,
      checkpoints,
      clock,
      batchIntervalMs: 100,
      maxRecordsPerBatch: 25,
      retryFailures: true,
      onFailure: (_s, e) => failures.push(e),
    });
    // Act
    const result = await driver.run();
    // Assess: every line counted once, or (if its batch failed five times in a row) set aside once.
    const setAside = (await readQuarantine(objects, checkpoints, 'faulty')).flatMap((i) =>
      i.kind === 'batch' ? i.entry.records.map((r) => Number(r.seq) - 1) : [],
    );
    expect(result.stoppedBy).toBe('drained');
    expect(failures.length).toBeGreaterThan(5);
    expect(stateToJson(await readMergedState(checkpoints, objects, 'faulty', counting))).toEqual(countWords(lines.filter((_, i) => !setAside.includes(i))));
  });
});
