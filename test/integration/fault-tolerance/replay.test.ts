import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, describe, expect, inject, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { S3ObjectStore } from '../../../lib/adapters/aws/s3-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { createProcessorHandler } from '../../../lib/compose/create-processor-handler';
import { toKinesisStreamEvent } from '../../../lib/runtime/local-esm/kinesis-event';
import { MicroBatchProcessor } from '../../../lib/runtime/protocol/micro-batch-processor';
import { openLocalStores } from '../../../lib/compose/open-local-app';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { decodeWal, type WalHeader } from '../../../lib/runtime/protocol/wal-codec';
import { FakeClock } from '../../helpers/fake-clock';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';
import { runCli } from '../../helpers/run-cli';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';

const wordCountPipeline = compilePipeline(wordCount as never);

/** The word count run in-process on a local checkpoint directory, in batches of `batchSize` lines 1 s apart. */
async function runOriginal(dir: string, lines: readonly string[], batchSize: number): Promise<WalHeader[]> {
  const { checkpoints, objects } = openLocalStores(dir);
  const clock = new FakeClock({ startMs: 1_767_225_600_000 });
  const processor = new MicroBatchProcessor({ app: 'word-count', pipeline: wordCountPipeline, checkpoints, objects, clock });
  const records = recordsOf(lines);
  for (let from = 0; from < records.length; from += batchSize) {
    await processor.process({ shardId: 'file-0', records: records.slice(from, from + batchSize) });
    await clock.advance(1_000);
  }
  await checkpoints.close();
  return Promise.all((await objects.list('wal/word-count/file-0/')).map(async (key) => decodeWal(key, (await objects.get(key))!).header));
}

/** The merged state of `app` in a local checkpoint directory. */
async function localState(dir: string, app: string): Promise<Record<string, unknown>> {
  const { checkpoints, objects } = openLocalStores(dir);
  try {
    return stateToJson(await readMergedState(checkpoints, objects, app, wordCountPipeline));
  } finally {
    await checkpoints.close();
  }
}

describe('sluice replay (local)', () => {
  it('rebuilds the original state in a new app from the whole WAL, and a suffix of it from --from', async () => {
    // Prepare: 10 batches of 40 lines.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-'));
    const lines = sampleLines(400, 5);
    const original = join(dir, 'original');
    const headers = await runOriginal(original, lines, 40);
    const middle = headers[6]!;
    // Act
    const [all, part] = await Promise.all([
      runCli(['replay', '--from', '0', '--app', 'wc-whole', '--source-checkpoint-dir', original, '--checkpoint-dir', join(dir, 'whole')]),
      runCli([
        'replay',
        '--from',
        new Date(middle.createdAt).toISOString(),
        '--app',
        'wc-suffix',
        '--source-checkpoint-dir',
        original,
        '--checkpoint-dir',
        join(dir, 'suffix'),
      ]),
    ]);
    // Assess
    expect(all.code, all.stderr).toBe(0);
    expect(part.code, part.stderr).toBe(0);
    expect(all.stdout).toMatch(/^replayed 10 WAL batches \(400 records\) of word-count from 1 shard\(s\) into wc-whole/);
    expect(await localState(join(dir, 'whole'), 'wc-whole')).toEqual(await localState(original, 'word-count'));
    expect(await localState(join(dir, 'whole'), 'wc-whole')).toEqual(countWords(lines));
    expect(await localState(join(dir, 'suffix'), 'wc-suffix')).toEqual(countWords(lines.slice(240)));
  });

  it('refuses to replay into an app that already has state, naming --resume', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-twice-'));
    await runOriginal(join(dir, 'a'), ['to be or not to be'], 1);
    const args = [
      'replay',
      '--from',
      '2026-01-01T00:00:00Z',
      '--to',
      '2026-01-02T00:00:00Z',
      '--app',
      'wc-b',
      '--source-checkpoint-dir',
      join(dir, 'a'),
      '--checkpoint-dir',
      join(dir, 'b'),
    ];
    expect((await runCli(args)).code).toBe(0);
    // Act
    const again = await runCli(args);
    // Assess
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^sluice: --app: app wc-b already has state .* --resume/);
  });
});

describe('sluice replay (local) over a WAL that lost or spoiled batches', () => {
  /** The file of WAL object `batchNo` of the original app in `dir`. */
  const walFile = (dir: string, batchNo: number): string => join(dir, 'objects', StorageKeys.walKey('word-count', 'file-0', batchNo));

  it.each([
    { name: 'the newest', deleted: [6], missing: 'WAL batch 6 is missing' },
    { name: 'a middle one', deleted: [3], missing: 'WAL batch 3 is missing' },
    { name: 'several', deleted: [2, 3, 5], missing: 'WAL batches 2-3, 5 are missing' },
  ])('refuses, naming the missing numbers, when $name was deleted, and writes nothing', async ({ deleted, missing }) => {
    // Prepare: 6 committed batches of 50 lines.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-gap-'));
    const original = join(dir, 'original');
    await runOriginal(original, sampleLines(300, 7), 50);
    for (const batchNo of deleted) rmSync(walFile(original, batchNo));
    // Act
    const replay = await runCli(['replay', '--from', '0', '--app', 'wc-gap', '--source-checkpoint-dir', original, '--checkpoint-dir', join(dir, 'gap')]);
    // Assess
    expect(replay.code).toBe(1);
    expect(replay.stdout).toBe('');
    expect(replay.stderr.trim().split('\n')).toEqual([
      `sluice: wal/word-count/file-0/: ${missing} (the checkpoint of app word-count committed batches up to 6); replayed without them, app wc-gap would not hold the original's state. Nothing was replayed: restore them, or replay a time range without them (--from, --to)`,
    ]);
    expect(await localState(join(dir, 'gap'), 'wc-gap')).toEqual({});
  });

  it('refuses a WAL object that does not decode before writing anything to the new app', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-bad-'));
    const original = join(dir, 'original');
    await runOriginal(original, sampleLines(300, 7), 50);
    rmSync(walFile(original, 4));
    writeFileSync(walFile(original, 4), 'not gzip');
    // Act
    const replay = await runCli(['replay', '--from', '0', '--app', 'wc-bad', '--source-checkpoint-dir', original, '--checkpoint-dir', join(dir, 'bad')]);
    // Assess
    expect(replay.code).toBe(1);
    expect(replay.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^sluice: wal\/word-count\/file-0\/00000000000000000004: unreadable WAL object: .*; nothing was replayed into app wc-bad$/),
    ]);
    expect(await localState(join(dir, 'bad'), 'wc-bad')).toEqual({});
  });
});

describe('sluice replay (DynamoDB + S3 on moto)', () => {
  const aws = createTestAwsClients(inject('awsEndpoint'));
  afterAll(() => aws.destroy());

  it("replays the WAL the Lambda handler wrote into a new app's state in the same table and bucket", async () => {
    // Prepare: the deployed handler processes two shards, several invocations each.
    const tableName = uniqueName('sluice-replay');
    const bucket = uniqueName('sluice-replay');
    await DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName);
    await S3ObjectStore.createBucket(aws.s3, bucket);
    const checkpoints = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName });
    const objects = new S3ObjectStore({ client: aws.s3, bucket });
    const handler = createProcessorHandler(wordCount, {
      env: { TABLE_NAME: tableName, BUCKET_NAME: bucket },
      checkpoints,
      objects,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: { batchCommitted: () => undefined },
      output: { print: () => undefined },
    });
    for (const [shardId, lines] of [
      ['shardId-000000000000', sampleLines(60, 1)],
      ['shardId-000000000001', sampleLines(45, 2)],
    ] as const) {
      const records = recordsOf(lines);
      for (let from = 0; from < records.length; from += 20) {
        await handler(toKinesisStreamEvent(records.slice(from, from + 20), { shardId, eventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/words' }));
      }
    }
    // Act
    const replay = await runCli([
      'replay',
      '--from',
      '0',
      '--app',
      'wc-replayed',
      '--source-app',
      'word-count',
      '--endpoint',
      inject('awsEndpoint'),
      '--table',
      tableName,
      '--bucket',
      bucket,
    ]);
    // Assess
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/^replayed 6 WAL batches \(105 records\) of word-count from 2 shard\(s\) into wc-replayed/);
    const replayed = stateToJson(await readMergedState(checkpoints, objects, 'wc-replayed', wordCountPipeline));
    expect(replayed).toEqual(stateToJson(await readMergedState(checkpoints, objects, 'word-count', wordCountPipeline)));
    expect(replayed).toEqual(countWords([...sampleLines(60, 1), ...sampleLines(45, 2)]));
  });
});
