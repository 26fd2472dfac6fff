import { describe, expect, it } from 'vitest';
import { openShardIds } from '../../../../lib/runtime/producer/published-rates';
import { totalRate } from '../../../../lib/runtime/producer/total-rate';

describe('totalRate', () => {
  it.each<[string, Array<number | undefined>, number | undefined, number]>([
    ['sums the published rates', [300, 200], undefined, 500],
    ['caps each shard at the static limit', [300, 200], 250, 450],
    ['counts a shard without a rate at the mean of the others', [300, 100, undefined], undefined, 600],
    ['counts a shard without a rate at the static limit when only that applies', [undefined, undefined], 400, 800],
    ['ignores zero and negative rates as unpublished', [0, -1, 200], undefined, 600],
    ['is unlimited when no shard has a limit', [undefined, undefined], undefined, Number.POSITIVE_INFINITY],
    ['is unlimited for a stream without shards', [], undefined, Number.POSITIVE_INFINITY],
  ])('%s', (_name, rates, max, expected) => {
    // Act / Assess
    expect(totalRate(rates, max)).toBe(expected);
  });
});

describe('openShardIds', () => {
  it('drops the parents of a split and of a merge, keeping the shards still written to', () => {
    // Prepare: 0 split into 2 and 3; 1 and 2 merged into 4.
    const shards = [
      { shardId: 's0', parentShardIds: [] },
      { shardId: 's1', parentShardIds: [] },
      { shardId: 's2', parentShardIds: ['s0'] },
      { shardId: 's3', parentShardIds: ['s0'] },
      { shardId: 's4', parentShardIds: ['s1', 's2'] },
    ];
    // Act / Assess
    expect(openShardIds(shards)).toEqual(['s3', 's4']);
  });
});
