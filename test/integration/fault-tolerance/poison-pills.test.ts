import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { S3ObjectStore } from '../../../lib/adapters/aws/s3-object-store';
import { SqliteCheckpointStore } from '../../../lib/adapters/local/sqlite-checkpoint-store';
import type { BatchStats } from '../../../lib/core/batch-stats';
import { parseRecord, type CheckpointRecord } from '../../../lib/runtime/protocol/checkpoint-record';
import { createProcessorHandler } from '../../../lib/compose/create-processor-handler';
import { toKinesisStreamEvent } from '../../../lib/runtime/local-esm/kinesis-event';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';
import { runCli } from '../../helpers/run-cli';
import { countWords } from '../../helpers/word-records';
import strictWordCount from './fixtures/strict-word-count';

const STRICT = fileURLToPath(new URL('./fixtures/strict-word-count.ts', import.meta.url));
const FRAGILE_SINK = fileURLToPath(new URL('./fixtures/fragile-sink-word-count.ts', import.meta.url));
const FUSSY_UPDATE = fileURLToPath(new URL('./fixtures/fussy-update-word-count.ts', import.meta.url));
const OVERSIZED = `big ${'x'.repeat(1024 * 1024)}`;

/** Lines 1-7: good ones around a poison pill (2), an undecodable line (4) and an oversized one (6). */
function poisonedFile(dir: string): { file: string; good: string[] } {
  const good = ['to be or not to be', 'that is the question', 'whether tis nobler', 'in the mind to suffer'];
  const file = join(dir, 'words.txt');
  const bytes = Buffer.concat([
    Buffer.from(`${good[0]}\npoison in the well\n${good[1]}\n`),
    Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x0a]),
    Buffer.from(`${good[2]}\n${OVERSIZED}\n${good[3]}\n`),
  ]);
  writeFileSync(file, bytes);
  return { file, good };
}

interface ListedEntry {
  readonly key: string;
  readonly shardId: string;
  readonly batchNo: number;
  readonly seq: string;
  readonly records: number;
  readonly stage: string;
  readonly reason: string;
}

const listed = (stdout: string): ListedEntry[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ListedEntry);

describe('poison pills (sluice run, local)', () => {
  it('quarantines a record the code throws on, an undecodable one and an oversized one, and the shard moves on', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sluice-poison-'));
    const { file, good } = poisonedFile(dir);
    const checkpointDir = join(dir, 'checkpoint');
    // Act
    const run = await runCli(['run', '--pipeline', STRICT, '--source', `file:${file}`, '--checkpoint-dir', checkpointDir, '--batch-interval', '50']);
    const dump = await runCli(['state', 'dump', '--pipeline', STRICT, '--checkpoint-dir', checkpointDir]);
    const list = await runCli(['quarantine', 'list', '--pipeline', STRICT, '--checkpoint-dir', checkpointDir, '--json']);
    // Assess: everything good counted, each pill quarantined with its shard, sequence number and reason.
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(dump.stdout)).toEqual(countWords(good));
    const entries = listed(list.stdout);
    expect(entries.map((e) => [e.shardId, e.seq, e.stage])).toEqual(
      expect.arrayContaining([
        ['file-0', '2', expect.any(String)],
        ['file-0', '4', 'decode'],
        ['file-0', '6', 'decode'],
      ]),
    );
    expect(entries).toHaveLength(3);
    const bySeq = new Map(entries.map((e) => [e.seq, e]));
    expect(bySeq.get('2')!.reason).toContain('cannot handle a poison pill: poison in the well');
    expect(bySeq.get('4')!.reason).toMatch(/not valid UTF-8/);
    expect(bySeq.get('6')!.reason).toMatch(/exceeds maxRecordBytes/);
    // ...counted in the checkpoint's running totals (what `sluice status` and the metrics report)...
    const store = SqliteCheckpointStore.open(join(checkpointDir, 'checkpoint.sqlite'));
    const item = await store.get(StorageKeys.shardPartition('strict-word-count', 'file-0'), StorageKeys.CHECKPOINT_SK);
    await store.close();
    expect(parseRecord<CheckpointRecord>('checkpoint', item!.data).totals?.quarantined).toBe(3);
    // ...and readable one by one, with the bytes as text.
    const show = await runCli(['quarantine', 'show', bySeq.get('2')!.key, '--pipeline', STRICT, '--checkpoint-dir', checkpointDir]);
    expect(JSON.parse(show.stdout)).toMatchObject({ shardId: 'file-0', seq: '2', text: 'poison in the well' });
  });

  it('sets aside a batch the sink fails on every time, after --max-batch-attempts, and goes on', async () => {
    // Prepare: one line per batch (10 records/s, 100 ms batches), the third line toxic for the sink.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-fragile-'));
    const lines = ['to be', 'or not', 'toxic waste', 'to be', 'that is'];
    const file = join(dir, 'words.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const checkpointDir = join(dir, 'checkpoint');
    // Act
    const run = await runCli([
      'run',
      '--pipeline',
      FRAGILE_SINK,
      '--source',
      `file:${file}`,
      '--checkpoint-dir',
      checkpointDir,
      '--max-rate',
      '10',
      '--batch-interval',
      '100',
      '--no-backpressure',
      '--max-batch-attempts',
      '3',
    ]);
    const dump = await runCli(['state', 'dump', '--pipeline', FRAGILE_SINK, '--checkpoint-dir', checkpointDir]);
    const list = await runCli(['quarantine', 'list', '--pipeline', FRAGILE_SINK, '--checkpoint-dir', checkpointDir, '--json']);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(
      run.stderr.match(
        /batch failed, retrying: sink foreachBatch-0 failed on batch fragile-sink-word-count\/file-0\/3: Error: the sink rejects toxic batches/g,
      ),
    ).toHaveLength(2);
    expect(JSON.parse(dump.stdout)).toEqual(countWords(lines.filter((l) => !l.includes('toxic'))));
    expect(listed(list.stdout)).toEqual([
      expect.objectContaining({
        shardId: 'file-0',
        batchNo: 3,
        seq: '3..3',
        records: 1,
        stage: 'batch (3 attempts)',
        reason: 'SinkError: sink foreachBatch-0 failed on batch fragile-sink-word-count/file-0/3: Error: the sink rejects toxic batches',
      }),
    ]);
  });
});

describe('a key an operator after a barrier throws on (sluice run)', () => {
  it("sets that key's values aside, counts the line's other words, and says so in every count", async () => {
    // Prepare: "bad" makes the update throw; its line's other words are fine.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-fussy-'));
    const file = join(dir, 'words.txt');
    writeFileSync(file, 'good bad other\ngood\n');
    const checkpointDir = join(dir, 'checkpoint');
    // Act
    const run = await runCli(['run', '--pipeline', FUSSY_UPDATE, '--source', `file:${file}`, '--checkpoint-dir', checkpointDir]);
    const dump = await runCli(['state', 'dump', '--pipeline', FUSSY_UPDATE, '--checkpoint-dir', checkpointDir]);
    const list = await runCli(['quarantine', 'list', '--pipeline', FUSSY_UPDATE, '--checkpoint-dir', checkpointDir]);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(dump.stdout)).toEqual({ good: 2, other: 1 });
    expect(run.stdout).toMatch(/0 records quarantined, 1 key's values quarantined/);
    expect(list.stdout.split('\n')[0]).toBe("app fussy-update-word-count: 1 entry, 0 records and 1 key's values set aside");
    expect(list.stdout).toMatch(/updateStateByKey\(totals\) +Error: bad is not counted/);
  });
});

describe('poison pills (Lambda handler, DynamoDB + S3 on moto)', () => {
  const aws = createTestAwsClients(inject('awsEndpoint'));
  afterAll(() => aws.destroy());

  it('quarantines the three kinds of pill in S3, reports them in the metrics, and answers with no failure', async () => {
    // Prepare
    const tableName = uniqueName('sluice-poison');
    const bucket = uniqueName('sluice-poison');
    await DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName);
    await S3ObjectStore.createBucket(aws.s3, bucket);
    const checkpoints = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName });
    const objects = new S3ObjectStore({ client: aws.s3, bucket });
    const committed: BatchStats[] = [];
    const handler = createProcessorHandler(strictWordCount, {
      env: { TABLE_NAME: tableName, BUCKET_NAME: bucket },
      checkpoints,
      objects,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: { batchCommitted: (stats) => void committed.push(stats) },
    });
    const encoder = new TextEncoder();
    const datas = [encoder.encode('to be'), encoder.encode('poison pill'), new Uint8Array([0xff]), encoder.encode(OVERSIZED), encoder.encode('or not')];
    const records = datas.map((data, i) => ({ seq: String(49_590_000_000 + i * 7), arrivalMs: 1_700_000_000_000, partitionKey: 'k', data }));
    // Act
    const response = await handler(
      toKinesisStreamEvent(records, { shardId: 'shardId-000000000000', eventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/words' }),
    );
    const list = await runCli([
      'quarantine',
      'list',
      '--app',
      'strict-word-count',
      '--endpoint',
      inject('awsEndpoint'),
      '--table',
      tableName,
      '--bucket',
      bucket,
      '--json',
    ]);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(stateToJson(await readMergedState(checkpoints, objects, 'strict-word-count', compilePipeline(strictWordCount as never)))).toEqual({
      to: 1,
      be: 1,
      or: 1,
      not: 1,
    });
    expect(committed.reduce((n, b) => n + b.quarantined, 0)).toBe(3);
    expect(list.code, list.stderr).toBe(0);
    expect(listed(list.stdout).map((e) => [e.shardId, e.seq])).toEqual([
      ['shardId-000000000000', records[2]!.seq],
      ['shardId-000000000000', records[3]!.seq],
      ['shardId-000000000000', records[1]!.seq],
    ]);
  });
});
