import { describe, expect, it } from 'vitest';
import { aggregate, deaggregate, isKplAggregate, KplAggregateSize } from '../../../../lib/runtime/protocol/kpl-aggregate';
import { aggregateIndependently, deaggregateIndependently } from '../../../helpers/kpl-independent';

const encoder = new TextEncoder();
const users = Array.from({ length: 50 }, (_, i) => ({ partitionKey: `user-${i % 7}`, data: encoder.encode(`event ${i} ${'x'.repeat(i)}`) }));

describe('KPL aggregates', () => {
  it('expands aggregates made by aws-kinesis-agg into their user records, keys and bytes', async () => {
    // Prepare
    const encoded = await aggregateIndependently(users);
    // Act
    const expanded = encoded.flatMap((r) => {
      const result = deaggregate(r.data);
      if (!result.ok) throw new Error(result.reason);
      return result.records;
    });
    // Assess
    expect(encoded.every((r) => isKplAggregate(r.data))).toBe(true);
    expect(expanded).toEqual(users);
  });

  it('makes aggregates that aws-kinesis-agg reads back, and says their exact size', () => {
    const size = new KplAggregateSize();
    for (const u of users) {
      const predicted = size.with(u);
      size.add(u);
      expect(size.bytes).toBe(predicted);
    }
    const data = aggregate(users);
    expect(data.byteLength).toBe(size.bytes);
    expect(deaggregateIndependently(data)).toEqual(users);
  });

  it('refuses an aggregate whose digest does not match, with the reason', () => {
    const data = aggregate(users);
    data[10] = data[10]! ^ 0xff;
    const result = deaggregate(data);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^KPL aggregated record: MD5 digest does not match/);
  });

  it('tells plain records from aggregates by the magic bytes', () => {
    expect(isKplAggregate(encoder.encode('hello world, a plain record'))).toBe(false);
    expect(isKplAggregate(aggregate(users.slice(0, 1)))).toBe(true);
  });
});
