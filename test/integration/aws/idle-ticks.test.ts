import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pipeline } from '../../../lib/core/pipeline/stream';
import { parseRecord, type CheckpointRecord } from '../../../lib/runtime/protocol/checkpoint-record';
import { loadControllerConfig } from '../../../lib/runtime/controller/controller-config';
import { createControllerHandler, type ControllerContext } from '../../../lib/runtime/controller/create-controller-handler';
import { idleTickEvent } from '../../../lib/core/idle-tick-event';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { decodeWal } from '../../../lib/runtime/protocol/wal-codec';
import { FakeClock } from '../../helpers/fake-clock';
import { recordsOf } from '../../helpers/word-records';
import { eventOf } from '../../unit/functions/fixtures';
import { TestAwsApp, uniqueName } from './aws-app';

const app = new TestAwsApp(inject('awsEndpoint'));
const SHARD = 'shardId-000000000003';
const T0 = 1_700_000_000_000;

beforeAll(async () => {
  await app.create();
});

afterAll(async () => {
  await app.destroy();
});

describe('idle ticks on Lambda (controller and processor against DynamoDB and S3)', () => {
  it('closes the last window of a shard that went quiet, once, through the controller', async () => {
    // Prepare: a processor of 1 s windows of arrival time, and a controller that ticks after a minute
    // of quiet. The controller's asynchronous Invoke becomes a call of the handler with the same JSON.
    const name = uniqueName('idle');
    const clock = new FakeClock({ startMs: T0 });
    const windows: Array<[endMs: number, count: number]> = [];
    const win = pipeline('win')
      .countByWindow({ windowMs: 1_000 })
      .foreachBatch((ws) => {
        for (const w of ws) if (w.value > 0) windows.push([w.endMs - T0, w.value]);
      });
    const processor = app.handler(win, name, { clock });
    const requests: unknown[] = [];
    const config = loadControllerConfig({
      SLUICE_APP: name,
      SLUICE_TABLE_NAME: app.tableName,
      SLUICE_CONTROLLER_BUDGET_MS: '1000',
      SLUICE_PROCESSOR_FUNCTION_NAME: 'word-count-processor',
    });
    const controller = createControllerHandler(config, {
      checkpoints: app.checkpoints,
      clock,
      idleTicker: {
        request: async (shardId, idleAtMs) => {
          const payload: unknown = JSON.parse(JSON.stringify(idleTickEvent(shardId, idleAtMs)));
          requests.push(payload);
          await processor(payload as never);
        },
      },
    });
    const context: ControllerContext = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'run' };
    // Records at 0.1 s, 0.6 s and 1.2 s: the last one closes [0 s, 1 s) and leaves [1 s, 2 s) open.
    await processor(
      eventOf(
        recordsOf(['a', 'b', 'c'], 1, T0).map((r, i) => ({ ...r, arrivalMs: T0 + 100 + i * 550 })),
        SHARD,
      ),
    );
    const afterRecords = await checkpoint(name);

    // Act: the controller runs every 30 s for two and a half minutes; nothing else arrives. At 90 s the
    // shard has been quiet for the minute the idle time lags behind, and that idle time (30 s) is past 2 s.
    for (let i = 0; i < 5; i++) {
      await clock.advance(30_000);
      await controller({}, context);
    }

    // Assess
    expect(afterRecords.tickDueAtMs).toBe(T0 + 2_000);
    expect(requests).toEqual([{ sluiceIdleTick: { shardId: SHARD, idleAtMs: T0 + 30_000 } }]);
    expect(windows).toEqual([
      [1_000, 2],
      [2_000, 1],
    ]);
    const after = await checkpoint(name);
    expect(after).toMatchObject({ batchNo: 2, committedSeq: afterRecords.committedSeq });
    expect(after.tickDueAtMs).toBeUndefined();
    const tick = decodeWal('wal', (await app.objects.get(StorageKeys.walKey(name, SHARD, 2)))!);
    expect(tick.header).toMatchObject({ count: 0, idleAtMs: T0 + 30_000 });
  });
});

async function checkpoint(name: string): Promise<CheckpointRecord> {
  const item = await app.checkpoints.get(StorageKeys.shardPartition(name, SHARD), StorageKeys.CHECKPOINT_SK);
  return parseRecord<CheckpointRecord>('checkpoint', item!.data);
}
