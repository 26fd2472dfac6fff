import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { ConfigError, ThrottledError } from '../../../lib/core/errors';
import { pipeline } from '../../../lib/core/pipeline/stream';
import type { BatchStats } from '../../../lib/core/batch-stats';
import type { CheckpointStore } from '../../../lib/ports/checkpoint-store';
import { BatchRetryPolicy } from '../../../lib/runtime/failures/batch-retry-policy';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { readQuarantine } from '../../../lib/runtime/failures/read-quarantine';
import { FakeClock } from '../../helpers/fake-clock';
import { recordsOf } from '../../helpers/word-records';

const APP = 'sinks';

/** Word count whose sink throws `sinkError()` for any batch holding the word "toxic". */
function setup(sinkError: () => Error = () => new Error('the sink refuses toxic batches'), maxAttempts = 3, sink = { healthy: false }) {
  const compiled = compilePipeline(
    pipeline('sinks')
      .flatMap((line: string) => line.split(' '))
      .foreachBatch((words) => {
        if (words.includes('toxic') && !sink.healthy) throw sinkError();
      })
      .countByValue()
      .updateStateByKey<string, number, number>((c, t = 0) => t + c.reduce((a, b) => a + b, 0), { merge: (a, b) => a + b }) as never,
  );
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const clock = new FakeClock({ startMs: 1_700_000_000_000 });
  const quarantinedMetric: number[] = [];
  // Every record set aside, as the two metrics calls report it: each must count it once.
  const metrics = {
    batchCommitted: (s: BatchStats) => void (s.quarantined > 0 && quarantinedMetric.push(s.quarantined)),
    recordsQuarantined: (_: string, n: number) => void quarantinedMetric.push(n),
  };
  const make = (store: CheckpointStore = checkpoints, walEnabled = true) => {
    const failurePolicy = new BatchRetryPolicy({ app: APP, pipeline: compiled, checkpoints: store, objects, clock, metrics, maxAttempts });
    return new MicroBatchProcessor({ app: APP, pipeline: compiled, checkpoints: store, objects, clock, metrics, failurePolicy, walEnabled });
  };
  const state = async () => stateToJson(await readMergedState(checkpoints, objects, APP, compiled));
  return { make, state, checkpoints, objects, quarantinedMetric };
}

/** Delivers `records` the way the ESM does: again after every failure, on a new instance. */
async function deliverUntilDone(make: () => MicroBatchProcessor, records: ReturnType<typeof recordsOf>, maxInvocations = 20): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (let i = 0; i < maxInvocations; i++) {
    try {
      await make().process({ shardId: 's1', records });
      return errors;
    } catch (error) {
      errors.push(error);
    }
  }
  throw new Error(`still failing after ${maxInvocations} invocations`);
}

describe('BatchRetryPolicy', () => {
  describe('onBatchFailure', () => {
    it('sets a batch aside after maxAttempts failures and lets the shard move on', async () => {
      // Prepare
      const { make, state, objects, checkpoints, quarantinedMetric } = setup();
      const poisoned = recordsOf(['a b', 'toxic a', 'b']);
      // Act: batch 1 fails until it is set aside; batch 2 then commits normally.
      const errors = await deliverUntilDone(make, poisoned);
      await make().process({ shardId: 's1', records: recordsOf(['a c'], 4) });
      // Assess
      expect(errors).toHaveLength(2);
      expect(await state()).toEqual({ a: 1, c: 1 });
      const items = await readQuarantine(objects, checkpoints, APP);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({
        kind: 'batch',
        key: 'quarantine/sinks/s1/00000000000000000001-batch-3',
        entry: {
          batchNo: 1,
          attempts: 3,
          firstSeq: '1',
          lastSeq: '3',
          count: 3,
          reason: 'SinkError: sink foreachBatch-0 failed on batch sinks/s1/1: Error: the sink refuses toxic batches',
        },
      });
      expect(quarantinedMetric).toEqual([3]);
    });

    it('retries transient failures without counting them', async () => {
      // Prepare: the sink throttles 6 times (twice the bound), then works.
      let throttles = 6;
      const { make, state, objects, checkpoints } = setup(() => (throttles-- > 0 ? new ThrottledError('slow down') : new Error('unreachable')));
      const records = recordsOf(['toxic']);
      let errors = 0;
      // Act
      for (let i = 0; i < 6; i++)
        await make()
          .process({ shardId: 's1', records })
          .catch(() => errors++);
      // Assess: six failures, nothing set aside, the batch still waits.
      expect(errors).toBe(6);
      expect(await readQuarantine(objects, checkpoints, APP)).toEqual([]);
      expect(await state()).toEqual({});
    });

    it('rethrows configuration errors without counting them', async () => {
      const { make, objects, checkpoints } = setup(() => new ConfigError('sink.table', 'no such table'));
      for (let i = 0; i < 5; i++) await expect(make().process({ shardId: 's1', records: recordsOf(['toxic']) })).rejects.toThrow(ConfigError);
      expect(await readQuarantine(objects, checkpoints, APP)).toEqual([]);
    });

    it('lists exactly the records of the set-aside that committed when the WAL is off and retries cut the batch anew', async () => {
      // Prepare: no WAL, so a retry may cut batch 1 differently. The set-aside of records 1-3 dies
      // between its quarantine entry and its commit; the next attempt brings records 1-2 only.
      const { make, checkpoints, objects, state } = setup();
      const compiledMake = (store: CheckpointStore) => make(store, false);
      let crashed = false;
      const dying: CheckpointStore = {
        get: (pk, sk) => checkpoints.get(pk, sk),
        query: (pk, prefix) => checkpoints.query(pk, prefix),
        transact: async (writes) => {
          if (!crashed && writes.some((w) => w.kind === 'put' && w.item.sk.startsWith('aside#'))) {
            crashed = true;
            throw new Error('the invocation died before its commit');
          }
          return checkpoints.transact(writes);
        },
      };
      const all = recordsOf(['toxic a', 'b', 'c']);
      for (let i = 0; i < 3; i++)
        await compiledMake(dying)
          .process({ shardId: 's1', records: all })
          .catch(() => undefined);
      // Act
      await compiledMake(checkpoints).process({ shardId: 's1', records: all.slice(0, 2) });
      await compiledMake(checkpoints).process({ shardId: 's1', records: all });
      // Assess: record 3 counted once and not listed; records 1-2 listed once and not counted.
      expect(crashed).toBe(true);
      expect(await state()).toEqual({ c: 1 });
      const items = await readQuarantine(objects, checkpoints, APP);
      expect(items.map((i) => (i.kind === 'batch' ? i.entry.records.map((r) => r.seq) : []))).toEqual([['1', '2']]);
    });

    it('voids a set-aside whose commit lost to an attempt that committed the batch', async () => {
      // Prepare: batch 1 failed twice. The third failure sets it aside, but just before its commit
      // the sink recovers and another invocation commits batch 1 with its state.
      const sink = { healthy: false };
      const { make, state, objects, checkpoints } = setup(() => new Error('the sink is down'), 3, sink);
      const records = recordsOf(['toxic a', 'b']);
      await deliverUntilDone(make, records, 2).catch(() => undefined);
      const racing = make({
        get: (pk, sk) => checkpoints.get(pk, sk),
        query: (pk, prefix) => checkpoints.query(pk, prefix),
        transact: async (writes) => {
          if (writes.some((w) => w.kind === 'put' && w.item.sk.startsWith('aside#'))) {
            sink.healthy = true;
            await make().process({ shardId: 's1', records });
          }
          return checkpoints.transact(writes);
        },
      });
      // Act
      const result = await racing.process({ shardId: 's1', records });
      // Assess: counted once; the entry written before the lost commit is on file but void.
      expect(result.fenced).toBe(1);
      expect(await state()).toEqual({ toxic: 1, a: 1, b: 1 });
      expect(await objects.list('quarantine/')).toHaveLength(1);
      expect(await readQuarantine(objects, checkpoints, APP)).toEqual([]);
    });
  });
});
