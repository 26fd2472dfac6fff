import { describe, expect, it } from 'vitest';
import { compareSeq, kinesisSeqOf, padSeq, subSeq } from '../../../../lib/core/source-record';
import { decodeKinesisEvent } from '../../../../lib/runtime/lambda/decode-kinesis-event';
import { aggregate } from '../../../../lib/runtime/protocol/kpl-aggregate';
import { eventOf } from '../../functions/fixtures';

const encoder = new TextEncoder();
const big = '49654321098765432109876543210987654321098765432109876543';

describe('sub-sequence numbers of KPL user records', () => {
  it('order user records after lower records, by index within one, and before their whole record', () => {
    const sorted = ['9', subSeq('10', 0), subSeq('10', 2), subSeq('10', 10), '10', subSeq('11', 0), subSeq(big, 3), big];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareSeq)).toEqual(sorted);
    expect(compareSeq(subSeq('10', 1), subSeq('10', 1))).toBe(0);
  });

  it('pad so that keys sort like the numbers, and name their Kinesis record', () => {
    const keys = [subSeq('10', 2), subSeq('10', 10), subSeq('9', 100)].map(padSeq);
    expect([...keys].sort()).toEqual([padSeq(subSeq('9', 100)), padSeq(subSeq('10', 2)), padSeq(subSeq('10', 10))]);
    expect(kinesisSeqOf(subSeq(big, 7))).toBe(big);
    expect(kinesisSeqOf(big)).toBe(big);
  });

  it('come out of an event holding an aggregate between plain records', () => {
    const users = [
      { partitionKey: 'a', data: encoder.encode('one') },
      { partitionKey: 'b', data: encoder.encode('two') },
    ];
    const event = eventOf([
      { seq: '1', arrivalMs: 1000, partitionKey: 'p', data: encoder.encode('plain') },
      { seq: '2', arrivalMs: 2000, partitionKey: 'a', data: aggregate(users) },
      { seq: '3', arrivalMs: 3000, partitionKey: 'p', data: encoder.encode('after') },
    ]);
    const decoded = decodeKinesisEvent(event)!;
    expect(decoded.records.map((r) => [r.seq, r.partitionKey, new TextDecoder().decode(r.data), r.arrivalMs])).toEqual([
      ['1', 'p', 'plain', 1000],
      ['2.0', 'a', 'one', 2000],
      ['2.1', 'b', 'two', 2000],
      ['3', 'p', 'after', 3000],
    ]);
    expect(decoded.undecodable).toEqual([]);
  });
});
