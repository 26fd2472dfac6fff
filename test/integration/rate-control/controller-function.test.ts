import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { ConfigError } from '../../../lib/core/errors';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import type { Clock } from '../../../lib/ports/clock';
import { parseRecord, type CheckpointRecord } from '../../../lib/runtime/protocol/checkpoint-record';
import { readControlItem } from '../../../lib/runtime/controller/control-item';
import { readShardStatuses } from '../../../lib/runtime/local-esm/shard-status';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';
import { recordsOf, sampleLines } from '../../helpers/word-records';

const aws = createTestAwsClients(inject('awsEndpoint'));
const APP = 'controlled';
const SHARD = 'shardId-000000000000';
const tableName = uniqueName('sluice-controller');
let checkpoints: DynamoDbCheckpointStore;
let processor: MicroBatchProcessor;
let seq = 1;

beforeAll(async () => {
  await DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName);
  checkpoints = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName });
  // A clock that moves 5 ms per reading, so every batch takes measurable processing time.
  let nowMs = Date.now();
  const clock: Clock = { nowMs: () => (nowMs += 5), sleep: async () => undefined };
  // Its gate admits everything: these batches only seed the stats the controller samples.
  processor = new MicroBatchProcessor({
    app: APP,
    pipeline: compilePipeline(wordCount as never),
    checkpoints,
    objects: new MemoryObjectStore(),
    clock,
    rateGate: ({ limiter, wanted }) => ({ granted: wanted, limiter }),
  });
});

afterAll(async () => {
  await aws.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  aws.destroy();
});

/** Commits `batches` batches of 100 records on the shard, as the processor function would. */
async function commitBatches(batches: number): Promise<void> {
  for (let b = 0; b < batches; b++) {
    await processor.process({ shardId: SHARD, records: recordsOf(sampleLines(100, seq), seq) });
    seq += 100;
  }
}

const context = (awsRequestId: string): Context => ({ awsRequestId, getRemainingTimeInMillis: () => 60_000 }) as unknown as Context;

async function readShard() {
  const items = await checkpoints.query(StorageKeys.shardPartition(APP, SHARD), StorageKeys.META_PREFIX);
  const checkpoint = parseRecord<CheckpointRecord>('checkpoint', items.find((i) => i.sk === StorageKeys.CHECKPOINT_SK)!.data);
  return { checkpoint, control: readControlItem(items.find((i) => i.sk === StorageKeys.CONTROL_SK)).control };
}

describe('functions/controller (moto)', () => {
  it('fails at cold start naming the missing variable', async () => {
    // Prepare
    vi.stubEnv('SLUICE_APP', APP);
    vi.stubEnv('SLUICE_TABLE_NAME', '');
    vi.resetModules();
    // Act
    const load = import('../../../functions/controller');
    // Assess
    // A fresh module graph has its own ConfigError class: compare by name.
    await expect(load).rejects.toMatchObject({ name: ConfigError.name });
    await expect(load).rejects.toThrow(/SLUICE_TABLE_NAME is not set: required, the DynamoDB checkpoint table/);
    vi.unstubAllEnvs();
  });

  it('samples the checkpoint stats and publishes a rate, a PID state and a heartbeat that status reads', async () => {
    // Prepare: one tick per invocation (a 1 s budget), silent logs.
    vi.stubEnv('SLUICE_APP', APP);
    vi.stubEnv('SLUICE_TABLE_NAME', tableName);
    vi.stubEnv('SLUICE_CONTROLLER_BUDGET_MS', '1000');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.resetModules();
    const { handler } = await import('../../../functions/controller');
    await commitBatches(3);
    const before = await readShard();

    // Act: the first run takes the baseline; batches commit; the second run estimates.
    const first = await handler({}, context('run-1'));
    const baseline = await readShard();
    await commitBatches(3);
    const second = await handler({}, context('run-2'));
    const after = await readShard();
    await commitBatches(3);
    await handler({}, context('run-3'));
    const [status] = await readShardStatuses(checkpoints, APP, [SHARD]);
    vi.unstubAllEnvs();

    // Assess
    expect(first.rounds).toBe(1);
    expect(baseline.control).toMatchObject({ sample: { records: 300, batches: 3 }, heartbeat: { invocationId: 'run-1' } });
    expect(baseline.control?.rateLimit).toBeUndefined();
    expect(second.rates[SHARD]).toBeGreaterThanOrEqual(100);
    expect(after.control).toMatchObject({
      rateLimit: second.rates[SHARD],
      estimator: 'sluice',
      sample: { records: 600, batches: 6 },
      heartbeat: { invocationId: 'run-2' },
      inputs: { records: 300 },
    });
    expect(after.control?.pid).toMatchObject({ firstRun: false, latestRate: second.rates[SHARD] });
    // What `sluice status` shows: the rate, Spark's PID terms of the latest estimate, the heartbeat.
    expect(status?.rateLimit).toBeGreaterThanOrEqual(100);
    expect(Object.keys(status?.controller?.terms ?? {})).toEqual(['processingRate', 'error', 'historicalError', 'dError']);
    expect(status?.controller?.heartbeatAtMs).toBeGreaterThan(0);
    // The checkpoint item is the processors' alone: only their commits moved it.
    expect(baseline.checkpoint).toEqual(before.checkpoint);
    expect(after.checkpoint.batchNo).toBe(6);
    expect(status?.batchNo).toBe(9);
  });
});
