import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../../lib/adapters/local/memory-checkpoint-store';
import { SluiceError } from '../../../../lib/core/errors';
import { controlWrite, readControlItem } from '../../../../lib/runtime/controller/control-item';
import { loadControllerConfig } from '../../../../lib/runtime/controller/controller-config';
import { createControllerHandler } from '../../../../lib/runtime/controller/create-controller-handler';
import type { EventSourceMappings } from '../../../../lib/ports/event-source-mappings';
import type { EsmSnapshot, EsmTuning } from '../../../../lib/runtime/controller/plan-esm-update';
import { StorageKeys } from '../../../../lib/runtime/protocol/storage-keys';
import { FakeClock } from '../../../helpers/fake-clock';
import { ShardPlant } from './shard-plant';
import { SwitchableStore } from './switchable-store';

const APP = 'clicks';
const UUID = '644be1fb-e633-4cbe-9785-29cc55b693ce';
const START_MS = 1_700_000_000_000;

class FakeMappings implements EventSourceMappings {
  snapshot: EsmSnapshot = { state: 'Enabled', batchSize: 100, maximumBatchingWindowInSeconds: 1, lastModifiedMs: START_MS - 3_600_000 };
  readonly updates: EsmTuning[] = [];
  failing = false;

  async get(uuid: string): Promise<EsmSnapshot> {
    if (this.failing || uuid !== UUID) throw new Error(`ResourceNotFoundException: ${uuid}`);
    return this.snapshot;
  }

  async update(_uuid: string, tuning: EsmTuning): Promise<void> {
    this.updates.push(tuning);
  }
}

async function setup(publishedRate = 1_000) {
  const memory = new MemoryCheckpointStore();
  const store = new SwitchableStore(memory);
  const clock = new FakeClock({ startMs: START_MS, autoAdvance: true });
  const mappings = new FakeMappings();
  const plant = new ShardPlant(memory, APP, 'shardId-000', { overheadMs: 100, costPerRecordMs: 0.5 }, 3_000);
  await plant.run(5, clock.nowMs());
  await memory.transact([
    controlWrite(APP, 'shardId-000', readControlItem({ pk: 'p', sk: 's', version: 0, data: JSON.stringify({ rateLimit: publishedRate }) }).control!, undefined),
  ]);
  const config = loadControllerConfig({ SLUICE_APP: APP, SLUICE_TABLE_NAME: 'checkpoints', SLUICE_EVENT_SOURCE_MAPPING_ID: UUID });
  const handler = createControllerHandler(config, { checkpoints: store, clock, mappings });
  const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs - (clock.nowMs() - START_MS), awsRequestId: 'req-1' });
  const control = async () => readControlItem(await memory.get(StorageKeys.shardPartition(APP, 'shardId-000'), StorageKeys.CONTROL_SK)).control;
  return { memory, store, clock, mappings, handler, context, control };
}

describe('createControllerHandler', () => {
  describe('handler', () => {
    it.each([
      // Lambda's time left → rounds: the 55 s budget, or the time left less 5 s, whichever ends first.
      [70_000, 12],
      [20_000, 4],
      [4_000, 0],
    ])('with %d ms left runs %d rounds and returns before the deadline', async (remainingMs, rounds) => {
      // Prepare
      const { handler, context, clock } = await setup();
      // Act
      const summary = await handler({}, context(remainingMs));
      // Assess
      expect(summary.rounds).toBe(rounds);
      expect(clock.nowMs() - START_MS).toBe(Math.max(0, rounds - 1) * 5_000);
    });

    it('stamps its request id on the heartbeat and keeps a rate it could not estimate yet', async () => {
      // Prepare
      const { handler, context, control } = await setup(1_000);
      // Act
      await handler({}, context(20_000));
      // Assess: the first tick only takes the baseline; the plant committed nothing since.
      expect(await control()).toMatchObject({ rateLimit: 1_000, heartbeat: { invocationId: 'req-1' } });
    });

    it('retunes the event source mapping when the published rate is far from its BatchSize', async () => {
      // Prepare
      const { handler, context, mappings } = await setup(1_000);
      // Act
      const summary = await handler({}, context(20_000));
      // Assess
      expect(mappings.updates).toEqual([{ batchSize: 1_000, maximumBatchingWindowInSeconds: 1 }]);
      expect(summary.esm?.action).toBe('update');
    });

    it('leaves the mapping alone when its BatchSize is close enough', async () => {
      // Prepare
      const { handler, context, mappings } = await setup(150);
      // Act
      const summary = await handler({}, context(20_000));
      // Assess
      expect(mappings.updates).toEqual([]);
      expect(summary.esm?.action).toBe('keep');
    });

    it('fails the invocation after the loop when the mapping cannot be read, with the rates already published', async () => {
      // Prepare
      const { handler, context, mappings, control } = await setup(1_000);
      mappings.failing = true;
      // Act
      const run = handler({}, context(20_000));
      // Assess
      await expect(run).rejects.toThrow(SluiceError);
      await expect(run).rejects.toThrow(/1 failure\(s\) in 4 round\(s\).*ResourceNotFoundException.*processors keep the last published rates/);
      expect((await control())?.heartbeat.invocationId).toBe('req-1');
    });

    it('fails the invocation when the store throws, leaving the published rate as it was (fail-static)', async () => {
      // Prepare
      const { handler, context, store, control } = await setup(1_000);
      const before = await control();
      store.failing = true;
      // Act
      const run = handler({}, context(20_000));
      // Assess
      await expect(run).rejects.toThrow(/4 failure\(s\) in 4 round\(s\), first: injected: DynamoDB is throttling/);
      expect(await control()).toEqual(before);
    });
  });
});
