import type { KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../../lib/core/errors';
import { decodeKinesisEvent } from '../../../lib/runtime/lambda/decode-kinesis-event';
import { invocationDelays } from '../../../lib/runtime/lambda/invocation-delays';
import { recordsOf } from '../../helpers/word-records';
import { DOCS_SAMPLE_EVENT, eventOf, TEST_ARN } from './fixtures';

const sample = DOCS_SAMPLE_EVENT.Records[0]!;
const withRecord = (patch: Record<string, unknown>, kinesis: Record<string, unknown> = {}): KinesisStreamEvent =>
  ({ Records: [{ ...sample, kinesis: { ...sample.kinesis, ...kinesis }, ...patch }] }) as KinesisStreamEvent;

describe('decodeKinesisEvent', () => {
  it('decodes the sample event of the AWS docs: base64 data, ms arrival, shard from eventID, stream ARN', () => {
    expect(decodeKinesisEvent(DOCS_SAMPLE_EVENT)).toEqual({
      shardId: 'shardId-000000000006',
      sourceArn: 'arn:aws:kinesis:us-east-2:123456789012:stream/s',
      undecodable: [],
      records: [
        {
          seq: '49590338271490256608559692538361571095921575989136588898',
          arrivalMs: 1_545_084_650_987,
          partitionKey: '1',
          data: new TextEncoder().encode('Hello, this is a test.'),
        },
      ],
    });
  });

  it('round-trips what the local ESM encodes, bytes included', () => {
    const records = [{ seq: '7', arrivalMs: 1_700_000_000_123, partitionKey: 'ü', data: new Uint8Array([0, 255, 10, 13]) }];
    expect(decodeKinesisEvent(eventOf(records, 'shardId-000000000002'))).toEqual({
      shardId: 'shardId-000000000002',
      records,
      undecodable: [],
      sourceArn: TEST_ARN,
    });
  });

  it.each([
    { name: 'data after its padding', data: 'aGVsbG8=gd29ybGQ=' },
    { name: 'characters outside the alphabet', data: '!!!! not base64 ????' },
    { name: 'a missing padding', data: 'aGVsbG8' },
    { name: 'URL-safe characters', data: 'a-_b' },
    { name: 'white space', data: 'aGVs bG8=' },
  ])('sets apart a record whose data has $name, keeping the string as it came', ({ data }) => {
    const event = withRecord({}, { data });
    expect(decodeKinesisEvent(event)).toMatchObject({
      records: [],
      undecodable: [{ seq: sample.kinesis.sequenceNumber, partitionKey: '1', arrivalMs: 1_545_084_650_987, data, reason: 'not valid base64' }],
    });
  });

  it('returns nothing for an event without records', () => {
    expect(decodeKinesisEvent({ Records: [] })).toBeUndefined();
  });

  it.each([
    {
      name: 'an eventID without a shard',
      event: withRecord({ eventID: '49590338271490256608559692538361571095921575989136588898' }),
      message: 'eventID must be "{shardId}:{sequenceNumber}"',
    },
    { name: 'a sequence number that is not digits', event: withRecord({}, { sequenceNumber: '4959x' }), message: 'not a Kinesis record' },
    { name: 'no data', event: withRecord({}, { data: undefined }), message: 'not a Kinesis record' },
    { name: 'no kinesis payload', event: withRecord({ kinesis: undefined }), message: 'not a Kinesis record' },
    { name: 'Records that is not a list', event: { Records: 'x' }, message: 'event: Records must be a list of Kinesis records, got "x"' },
    {
      name: 'two shards',
      event: { Records: [...eventOf(recordsOf(['a'], 1)).Records, ...eventOf(recordsOf(['b'], 2), 'shardId-000000000009').Records] },
      message: 'the event mixes shards',
    },
  ])('rejects an event with $name', ({ event, message }) => {
    expect(() => decodeKinesisEvent(event as KinesisStreamEvent)).toThrow(CorruptDataError);
    expect(() => decodeKinesisEvent(event as KinesisStreamEvent)).toThrow(message);
  });
});

describe('invocationDelays', () => {
  it.each([
    { name: 'one fresh record', arrivals: [10_000], windowMs: 0, expected: { schedulingDelayMs: 0, millisBehind: 0 } },
    { name: 'a batch that waited out a 2 s window', arrivals: [8_000, 9_500], windowMs: 2_000, expected: { schedulingDelayMs: 0, millisBehind: 500 } },
    { name: 'a batch queued 3 s behind its window', arrivals: [5_000, 7_000], windowMs: 2_000, expected: { schedulingDelayMs: 3_000, millisBehind: 3_000 } },
    { name: 'arrival stamps ahead of this clock', arrivals: [10_400], windowMs: 0, expected: { schedulingDelayMs: 0, millisBehind: 0 } },
  ])('measures $name', ({ arrivals, windowMs, expected }) => {
    const records = arrivals.map((arrivalMs, i) => recordsOf(['x'], i + 1, arrivalMs)[0]!);
    expect(invocationDelays(10_000, records, windowMs)).toEqual(expected);
  });
});
