import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { CorruptDataError, FencedError } from '../../../lib/core/errors';
import { pipeline } from '../../../lib/core/pipeline/stream';
import type { SourceRecord } from '../../../lib/core/source-record';
import type { CheckpointStore } from '../../../lib/ports/checkpoint-store';
import { parseRecord, type CheckpointRecord } from '../../../lib/runtime/protocol/checkpoint-record';
import { readQuarantine } from '../../../lib/runtime/failures/read-quarantine';
import { StorageKeys } from '../../../lib/runtime/protocol/storage-keys';
import { decodeWal } from '../../../lib/runtime/protocol/wal-codec';
import { countWords, sampleLines } from '../../helpers/word-records';
import { DOCS_SAMPLE_EVENT, eventOf } from '../../unit/functions/fixtures';
import { TestAwsApp, uniqueName } from './aws-app';

const app = new TestAwsApp(inject('awsEndpoint'));
const SHARD = 'shardId-000000000000';
const FIRST_SEQ = 49590338271490256608559692538361571095921575989136588898n;

/** Records with Kinesis-sized sequence numbers (56 digits, compared as BigInt) holding `lines`. */
function kinesisRecords(lines: readonly string[], arrivalMs = Date.now()): SourceRecord[] {
  return lines.map((line, i) => ({ seq: String(FIRST_SEQ + BigInt(i) * 1_000n), arrivalMs, partitionKey: `k${i}`, data: new TextEncoder().encode(line) }));
}

async function checkpointOf(appName: string, shardId = SHARD): Promise<CheckpointRecord> {
  const item = await app.checkpoints.get(StorageKeys.shardPartition(appName, shardId), StorageKeys.CHECKPOINT_SK);
  return parseRecord<CheckpointRecord>('checkpoint', item!.data);
}

beforeAll(async () => {
  await app.create();
});

afterAll(async () => {
  await app.destroy();
});

describe('createProcessorHandler', () => {
  describe('handler against DynamoDB and S3', () => {
    it('gets the records of the sample event from the AWS docs into the pipeline', async () => {
      // Prepare: a pipeline that keeps what it is given, and the word count.
      const seen: string[] = [];
      const capture = pipeline('capture').foreachBatch((items) => void seen.push(...items));
      const captureApp = uniqueName('docs-capture');
      const countApp = uniqueName('docs-count');
      // Act
      const captured = await app.handler(capture, captureApp)(DOCS_SAMPLE_EVENT);
      const counted = await app.handler(wordCount, countApp)(DOCS_SAMPLE_EVENT);
      // Assess: the text, the shard from eventID, the 56-digit sequence number and the arrival in ms.
      expect([captured, counted]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(seen).toEqual(['Hello, this is a test.']);
      expect(await app.state(wordCount, countApp)).toEqual({ 'Hello,': 1, this: 1, is: 1, a: 1, 'test.': 1 });
      const walKey = StorageKeys.walKey(captureApp, 'shardId-000000000006', 1);
      const wal = decodeWal(walKey, (await app.objects.get(walKey))!);
      expect(wal.records).toEqual([
        {
          seq: '49590338271490256608559692538361571095921575989136588898',
          arrivalMs: 1_545_084_650_987,
          partitionKey: '1',
          data: new TextEncoder().encode('Hello, this is a test.'),
        },
      ]);
      expect((await checkpointOf(countApp, 'shardId-000000000006')).committedSeq).toBe('49590338271490256608559692538361571095921575989136588898');
    });

    it('changes state exactly once when the same batch is delivered twice, warm or cold', async () => {
      // Prepare
      const appName = uniqueName('twice');
      const lines = sampleLines(40, 11);
      const event = eventOf(kinesisRecords(lines));
      const warm = app.handler(wordCount, appName);
      // Act
      await warm(event);
      const again = await warm(event);
      const cold = await app.handler(wordCount, appName)(event);
      // Assess
      expect([again, cold]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(await app.state(wordCount, appName)).toEqual(countWords(lines));
      expect((await checkpointOf(appName)).batchNo).toBe(1);
    });

    it('changes state exactly once under two concurrent invocations of one shard', async () => {
      // Prepare: a timed-out invocation still running, and the ESM's retry of its batch on another
      // container, which starts at the same checkpoint and may carry records that arrived since.
      const appName = uniqueName('concurrent');
      const lines = sampleLines(200, 13);
      const records = kinesisRecords(lines);
      // Act
      const responses = await Promise.all([app.handler(wordCount, appName)(eventOf(records.slice(0, 120))), app.handler(wordCount, appName)(eventOf(records))]);
      // Assess
      expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(await app.state(wordCount, appName)).toEqual(countWords(lines));
      expect((await checkpointOf(appName)).committedSeq).toBe(records.at(-1)!.seq);
    });

    it('fences a stale invocation: its commit is refused and the newer offsets stand', async () => {
      // Prepare: a zombie allocates batch 1 and stalls before its commit.
      const appName = uniqueName('zombie');
      const lines = sampleLines(30, 17);
      const records = kinesisRecords(lines);
      const zombieErrors: unknown[] = [];
      let stalled!: () => void;
      const isStalled = new Promise<void>((resolve) => (stalled = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow: CheckpointStore = {
        get: (pk, sk) => app.checkpoints.get(pk, sk),
        query: (pk, prefix) => app.checkpoints.query(pk, prefix),
        transact: async (writes) => {
          stalled();
          await gate;
          return app.checkpoints.transact(writes).catch((error: unknown) => {
            zombieErrors.push(error);
            throw error;
          });
        },
      };
      const zombie = app.handler(wordCount, appName, { checkpoints: slow })(eventOf(records.slice(0, 10)));
      await isStalled;
      // Act: a fresh invocation re-runs the zombie's WAL batch 1, then commits batch 2.
      const fresh = await app.handler(wordCount, appName)(eventOf(records));
      release();
      const stale = await zombie;
      // Assess
      expect(zombieErrors).toEqual([expect.any(FencedError)]);
      expect([fresh, stale]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(await checkpointOf(appName)).toMatchObject({ batchNo: 2, committedSeq: records.at(-1)!.seq });
      expect(await app.state(wordCount, appName)).toEqual(countWords(lines));
    });

    it('quarantines a record whose data is not valid base64 with its data as received, and counts the others', async () => {
      // Prepare: two records of four carry data that is not base64; the first would decode leniently
      // to "hello" (the bytes after its padding dropped), the second to bytes that are not UTF-8.
      const appName = uniqueName('base64');
      const event = eventOf(kinesisRecords(['alpha beta', 'x', 'gamma', 'y']));
      event.Records[1]!.kinesis.data = 'aGVsbG8=gd29ybGQ=';
      event.Records[3]!.kinesis.data = '!!!! not base64 ????';
      const handler = app.handler(wordCount, appName);
      // Act: delivered twice, as the ESM redelivers.
      const responses = [await handler(event), await app.handler(wordCount, appName)(event)];
      // Assess
      expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(await app.state(wordCount, appName)).toEqual({ alpha: 1, beta: 1, gamma: 1 });
      const entries = (await readQuarantine(app.objects, app.checkpoints, appName)).map((item) => item.entry);
      expect(entries).toEqual([
        expect.objectContaining({
          shardId: SHARD,
          seq: event.Records[1]!.kinesis.sequenceNumber,
          partitionKey: 'k1',
          stage: 'decode',
          reason: 'not valid base64',
          data: 'aGVsbG8=gd29ybGQ=',
        }),
        expect.objectContaining({
          shardId: SHARD,
          seq: event.Records[3]!.kinesis.sequenceNumber,
          partitionKey: 'k3',
          stage: 'decode',
          reason: 'not valid base64',
          data: '!!!! not base64 ????',
        }),
      ]);
    });

    it('rejects an event whose Records is not a list, naming the field', async () => {
      // Prepare
      const handler = app.handler(wordCount, uniqueName('records-x'));
      // Act
      const outcome = handler({ Records: 'x' } as never);
      // Assess
      await expect(outcome).rejects.toThrow(CorruptDataError);
      await expect(outcome).rejects.toThrow('event: Records must be a list of Kinesis records, got "x"');
    });
  });
});
