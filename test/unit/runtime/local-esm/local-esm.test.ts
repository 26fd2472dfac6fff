import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { LocalEsm } from '../../../../lib/runtime/local-esm/local-esm';
import { FakeClock } from '../../../helpers/fake-clock';
import { ARN, fakeRecords, FakeStream, ranges, runEsm, type FakeShard } from './fake-stream';

const shard = (records = fakeRecords(8), extra: Partial<FakeShard> = {}): FakeShard => ({ shardId: 'shardId-000000000000', records, ...extra });
const fail = (...seqs: string[]) => ({ batchItemFailures: seqs.map((itemIdentifier) => ({ itemIdentifier })) });

describe('LocalEsm', () => {
  describe('run', () => {
    it('delivers records in the exact shape Lambda gives a Kinesis event', async () => {
      // Prepare
      const record = {
        seq: '49590338271490256608559692538361571095921575989136588898',
        arrivalMs: 1_545_084_650_987,
        partitionKey: '1',
        data: new TextEncoder().encode('Hello, this is a test.'),
        visibleAtMs: 0,
      };
      // Act
      const { deliveries } = await runEsm([shard([record], { shardId: 'shardId-000000000006' })], () => undefined);
      // Assess
      expect(deliveries[0]!.event).toEqual({
        Records: [
          {
            kinesis: {
              kinesisSchemaVersion: '1.0',
              partitionKey: '1',
              sequenceNumber: record.seq,
              data: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
              approximateArrivalTimestamp: 1545084650.987,
            },
            eventSource: 'aws:kinesis',
            eventVersion: '1.0',
            eventID: `shardId-000000000006:${record.seq}`,
            eventName: 'aws:kinesis:record',
            invokeIdentityArn: 'arn:aws:iam::123456789012:role/sluice-local-esm',
            awsRegion: 'eu-west-1',
            eventSourceARN: ARN,
          },
        ],
      });
    });

    it.each([
      { batchSize: 100, count: 250, expected: ['1-100', '101-200', '201-250'] },
      { batchSize: 3, count: 7, expected: ['1-3', '4-6', '7'] },
      { batchSize: 1, count: 3, expected: ['1', '2', '3'] },
    ])('cuts $count records into batches of at most $batchSize', async ({ batchSize, count, expected }) => {
      const { deliveries } = await runEsm([shard(fakeRecords(count))], () => undefined, { batchSize });
      expect(ranges(deliveries)).toEqual(expected);
    });

    it('keeps a batch under the 6 MB invocation payload whatever the batch size', async () => {
      // Prepare: 1 MiB records are 1.4 MB once base64'd into the event.
      const { deliveries } = await runEsm([shard(fakeRecords(10, { bytes: 1024 * 1024 }))], () => undefined, { batchSize: 100 });
      // Assess
      expect(deliveries.map((d) => d.seqs.length)).toEqual([4, 4, 2]);
      for (const d of deliveries) expect(Buffer.byteLength(JSON.stringify(d.event))).toBeLessThanOrEqual(6 * 1024 * 1024);
    });

    it.each([
      {
        window: 0,
        expected: [
          ['1-10', 0],
          ['11-20', 2_000],
        ],
      },
      { window: 5, expected: [['1-20', 5_000]] },
      {
        window: 1,
        expected: [
          ['1-10', 1_000],
          ['11-20', 3_000],
        ],
      },
    ])('gathers records for a batching window of $window s before invoking', async ({ window, expected }) => {
      // Prepare: ten records at t=0, ten more at t=2 s.
      const records = [...fakeRecords(10), ...fakeRecords(10, { from: 11, visibleAtMs: 2_000 })];
      // Act
      const { deliveries } = await runEsm([shard(records)], () => undefined, { maximumBatchingWindowInSeconds: window, pollIntervalMs: 100, stopAtMs: 10_000 });
      // Assess: the window opens with the first buffered record; a full batch never waits.
      const got = deliveries.map((d, i) => [ranges(deliveries)[i], Math.floor(d.atMs / 100) * 100]);
      expect(got).toEqual(expected);
    });

    it('invokes a full batch at once even inside a batching window', async () => {
      const { deliveries } = await runEsm([shard(fakeRecords(30))], () => undefined, { batchSize: 10, maximumBatchingWindowInSeconds: 60 });
      expect(ranges(deliveries).slice(0, 3)).toEqual(['1-10', '11-20', '21-30']);
      expect(deliveries[0]!.atMs).toBeLessThan(1_000);
    });

    it('keeps one batch in flight per shard while shards run side by side', async () => {
      // Prepare: a slow handler that tracks concurrent calls.
      const clock = new FakeClock();
      const inFlight = new Map<string, number>();
      let maxPerShard = 0;
      let maxOverall = 0;
      const shards = ['shardId-a', 'shardId-b'].map((shardId) => ({ shardId, records: fakeRecords(6) }));
      const esm = new LocalEsm({
        source: new FakeStream(shards, clock),
        clock,
        eventSourceArn: ARN,
        batchSize: 2,
        pollIntervalMs: 100,
        handler: async (event) => {
          const id = event.Records[0]!.eventID.split(':')[0]!;
          inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
          maxPerShard = Math.max(maxPerShard, inFlight.get(id)!);
          maxOverall = Math.max(
            maxOverall,
            [...inFlight.values()].reduce((a, b) => a + b, 0),
          );
          await clock.sleep(500);
          inFlight.set(id, inFlight.get(id)! - 1);
        },
      });
      // Act
      let done = false;
      const running = esm.run({ untilDrained: true }).then((summary) => ((done = true), summary));
      while (!done) await clock.advance(100);
      const summary = await running;
      // Assess
      expect(maxPerShard).toBe(1);
      expect(maxOverall).toBe(2);
      expect(summary.invocations).toBe(6);
    });

    it('starts each shard after the sequence number startAfter gives', async () => {
      const { deliveries, summary } = await runEsm([shard(fakeRecords(8))], () => undefined, { startAfter: async () => '5' });
      expect(ranges(deliveries)).toEqual(['6-8']);
      expect(summary.checkpoints).toEqual({ 'shardId-000000000000': '8' });
    });
  });

  describe('run with ReportBatchItemFailures', () => {
    it.each([
      { name: 'no response', response: undefined, redelivered: [] },
      { name: 'null', response: null, redelivered: [] },
      { name: 'an empty list', response: fail(), redelivered: [] },
      { name: 'a null list', response: { batchItemFailures: null }, redelivered: [] },
      { name: 'one failure', response: fail('6'), redelivered: ['6-8'] },
      { name: 'several failures (lowest wins)', response: fail('7', '3', '5'), redelivered: ['3-8'] },
      { name: 'a failure at the first record', response: fail('1'), redelivered: ['1-8'] },
      { name: 'an empty itemIdentifier', response: fail(''), redelivered: ['1-8'] },
      { name: 'a null itemIdentifier', response: { batchItemFailures: [{ itemIdentifier: null }] }, redelivered: ['1-8'] },
      { name: 'a mis-keyed entry', response: { batchItemFailures: [{ itemId: '4' }] }, redelivered: ['1-8'] },
      { name: 'a sequence number not in the batch', response: fail('99'), redelivered: ['1-8'] },
      { name: 'a list that is not a list', response: { batchItemFailures: 'all' }, redelivered: ['1-8'] },
    ])('checkpoints by the response when it holds $name', async ({ response, redelivered }) => {
      // Act: the first delivery answers `response`, later ones succeed.
      const { deliveries, summary } = await runEsm([shard()], (_d, i) => (i === 0 ? response : undefined), { reportBatchItemFailures: true });
      // Assess
      expect(ranges(deliveries)).toEqual(['1-8', ...redelivered]);
      expect(summary.checkpoints['shardId-000000000000']).toBe('8');
    });

    it('ignores batchItemFailures when the feature is off, as Lambda does', async () => {
      const { deliveries } = await runEsm([shard()], (_d, i) => (i === 0 ? fail('3') : undefined), { reportBatchItemFailures: false });
      expect(ranges(deliveries)).toEqual(['1-8']);
    });

    it('starts a new batch at the failed record, taking records that arrived since', async () => {
      const { deliveries } = await runEsm([shard(fakeRecords(12))], (_d, i) => (i === 0 ? fail('3') : undefined), {
        reportBatchItemFailures: true,
        batchSize: 8,
      });
      expect(ranges(deliveries)).toEqual(['1-8', '3-10', '11-12']);
    });

    it('bisects at the failed record and retries only the rest of that batch when bisect is on', async () => {
      const { deliveries } = await runEsm([shard(fakeRecords(12))], (_d, i) => (i === 0 ? fail('3') : undefined), {
        reportBatchItemFailures: true,
        batchSize: 8,
        bisectBatchOnFunctionError: true,
      });
      expect(ranges(deliveries)).toEqual(['1-8', '3-8', '9-12']);
    });
  });

  describe('run with retries', () => {
    it('retries a failing batch as it was until the handler succeeds when retries are unlimited', async () => {
      const { deliveries, summary } = await runEsm([shard(fakeRecords(12))], (_d, i) => (i < 5 ? new Error('boom') : undefined), {
        batchSize: 8,
        maximumRetryAttempts: -1,
      });
      expect(ranges(deliveries)).toEqual(['1-8', '1-8', '1-8', '1-8', '1-8', '1-8', '9-12']);
      expect(summary.discarded).toEqual([]);
    });

    it.each([
      { retries: 0, expected: ['1-4', '5-6'] },
      { retries: 2, expected: ['1-4', '1-4', '1-4', '5-6'] },
    ])('discards a batch after $retries retries and reports it like an on-failure destination', async ({ retries, expected }) => {
      // Act: every batch holding record 2 fails.
      const { deliveries, summary } = await runEsm([shard(fakeRecords(6))], (d) => (d.seqs.includes('2') ? new Error('poison') : undefined), {
        batchSize: 4,
        maximumRetryAttempts: retries,
      });
      // Assess
      expect(ranges(deliveries)).toEqual(expected);
      expect(summary.discarded).toEqual([
        expect.objectContaining({
          condition: 'RetryAttemptsExhausted',
          shardId: 'shardId-000000000000',
          startSequenceNumber: '1',
          endSequenceNumber: '4',
          batchSize: 4,
          streamArn: ARN,
        }),
      ]);
      expect(summary.checkpoints['shardId-000000000000']).toBe('6');
    });

    it('counts partial failures as retries and discards only the failed remainder', async () => {
      const { deliveries, summary } = await runEsm([shard(fakeRecords(6))], (d) => (d.seqs.includes('3') ? fail('3') : undefined), {
        batchSize: 6,
        maximumRetryAttempts: 1,
        reportBatchItemFailures: true,
      });
      expect(ranges(deliveries)).toEqual(['1-6', '3-6']);
      expect(summary.discarded.map((b) => [b.startSequenceNumber, b.endSequenceNumber])).toEqual([['3', '6']]);
    });

    it('restarts the count when a partial response moved the checkpoint, so a deferring shard is never discarded', async () => {
      // Act: like a rate limit, every delivery takes its first two records and defers the rest.
      const { deliveries, summary } = await runEsm([shard(fakeRecords(10))], (d) => (d.seqs.length > 2 ? fail(d.seqs[2]!) : undefined), {
        batchSize: 4,
        maximumRetryAttempts: 1,
        reportBatchItemFailures: true,
      });
      // Assess
      expect(ranges(deliveries)).toEqual(['1-4', '3-6', '5-8', '7-10', '9-10']);
      expect(summary.discarded).toEqual([]);
    });

    it('bisects a failing batch down to the poison record, without spending retries on the splits', async () => {
      // Act: any batch holding record 6 throws.
      const { deliveries, summary } = await runEsm([shard(fakeRecords(8))], (d) => (d.seqs.includes('6') ? new Error('poison') : undefined), {
        batchSize: 8,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 1,
      });
      // Assess
      expect(ranges(deliveries)).toEqual(['1-8', '1-4', '5-8', '5-6', '5', '6', '6', '7-8']);
      expect(summary.discarded.map((b) => b.startSequenceNumber)).toEqual(['6']);
    });

    it('does not bisect a malformed response, which is no function error', async () => {
      const { deliveries } = await runEsm([shard(fakeRecords(4))], (_d, i) => (i === 0 ? fail('') : undefined), {
        batchSize: 4,
        bisectBatchOnFunctionError: true,
        reportBatchItemFailures: true,
      });
      expect(ranges(deliveries)).toEqual(['1-4', '1-4']);
    });
  });

  describe('run with resharded streams', () => {
    it('drains parent shards before their children start', async () => {
      // Prepare: a closed parent, split into two children; the handler is slow on the parent.
      const shards: FakeShard[] = [
        { shardId: 'shardId-parent', closed: true, records: fakeRecords(6) },
        { shardId: 'shardId-child-1', parentShardIds: ['shardId-parent'], records: fakeRecords(3, { from: 100 }) },
        { shardId: 'shardId-child-2', parentShardIds: ['shardId-parent'], records: fakeRecords(3, { from: 200 }) },
      ];
      // Act
      const { deliveries } = await runEsm(
        shards,
        (d) => (d.shardId === 'shardId-parent' && d.seqs.includes('3') && d.atMs < 1_000 ? new Error('slow down') : undefined),
        { batchSize: 2, retryDelayMs: 500 },
      );
      // Assess: every parent delivery, retries included, precedes every child delivery.
      const lastParent = deliveries.map((d) => d.shardId).lastIndexOf('shardId-parent');
      const firstChild = deliveries.findIndex((d) => d.shardId !== 'shardId-parent');
      expect(lastParent).toBeLessThan(firstChild);
      expect(
        deliveries
          .filter((d) => d.shardId !== 'shardId-parent')
          .flatMap((d) => d.seqs)
          .sort(),
      ).toEqual(['100', '101', '102', '200', '201', '202']);
    });

    it('starts a merged child only after both parents ended', async () => {
      const shards: FakeShard[] = [
        { shardId: 'shardId-p1', closed: true, records: fakeRecords(2) },
        { shardId: 'shardId-p2', closed: true, records: fakeRecords(8, { from: 10 }) },
        { shardId: 'shardId-merged', parentShardIds: ['shardId-p1', 'shardId-p2'], records: fakeRecords(2, { from: 50 }) },
      ];
      const { deliveries } = await runEsm(shards, () => undefined, { batchSize: 2 });
      const firstChild = deliveries.findIndex((d) => d.shardId === 'shardId-merged');
      expect(deliveries.slice(firstChild).every((d) => d.shardId === 'shardId-merged')).toBe(true);
      expect(deliveries.slice(0, firstChild).flatMap((d) => d.seqs)).toHaveLength(10);
    });
  });

  describe('constructor', () => {
    it.each([
      { settings: { batchSize: 0 }, field: 'batchSize' },
      { settings: { batchSize: 10_001 }, field: 'batchSize' },
      { settings: { maximumBatchingWindowInSeconds: 301 }, field: 'maximumBatchingWindowInSeconds' },
      { settings: { maximumRetryAttempts: -2 }, field: 'maximumRetryAttempts' },
    ])('rejects $field out of the range AWS allows', ({ settings, field }) => {
      const clock = new FakeClock();
      expect(() => new LocalEsm({ source: new FakeStream([], clock), clock, eventSourceArn: ARN, handler: async () => undefined, ...settings })).toThrow(
        ConfigError,
      );
      expect(() => new LocalEsm({ source: new FakeStream([], clock), clock, eventSourceArn: ARN, handler: async () => undefined, ...settings })).toThrow(field);
    });
  });
});
