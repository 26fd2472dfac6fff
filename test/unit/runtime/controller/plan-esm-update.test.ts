import { describe, expect, it } from 'vitest';
import { desiredEsmTuning, planEsmUpdate, type EsmPlanInput, type EsmSnapshot } from '../../../../lib/runtime/controller/plan-esm-update';

const NOW = 1_700_000_000_000;
const MIN = 60_000;
const mapping = (extra: Partial<EsmSnapshot> = {}): EsmSnapshot => ({
  state: 'Enabled',
  batchSize: 100,
  maximumBatchingWindowInSeconds: 1,
  lastModifiedMs: NOW - 60 * MIN,
  ...extra,
});
const plan = (extra: Partial<EsmPlanInput>) =>
  planEsmUpdate({
    mapping: mapping(),
    shardRates: [100],
    batchIntervalMs: 1000,
    batchingWindowSeconds: 1,
    nowMs: NOW,
    minUpdateIntervalMs: 10 * MIN,
    changeFactor: 2,
    ...extra,
  });

describe('desiredEsmTuning', () => {
  it.each([
    // rate/s, interval ms, deployed window s → BatchSize, window s
    [100, 1000, 1, 100, 1],
    [1_500, 1000, 0, 1_500, 0],
    [400, 5000, 5, 2_000, 5],
    [3, 100, 0, 1, 0],
    [50_000, 1000, 1, 10_000, 1],
  ])('at %d records/s, a %d ms batch interval and a %d s window wants BatchSize %d and a %d s window', (rate, intervalMs, window, batchSize, wantWindow) => {
    // Act
    const tuning = desiredEsmTuning(rate, intervalMs, window);
    // Assess
    expect(tuning).toEqual({ batchSize, maximumBatchingWindowInSeconds: wantWindow });
  });
});

describe('planEsmUpdate', () => {
  it.each([
    { name: 'grows BatchSize when the fastest shard needs more than twice as many', input: { shardRates: [150, 450] }, action: 'update', batchSize: 450 },
    {
      name: 'shrinks BatchSize when it is more than twice too big',
      input: { mapping: mapping({ batchSize: 1_000 }), shardRates: [300] },
      action: 'update',
      batchSize: 300,
    },
    { name: 'keeps BatchSize within twice the desired one (upwards)', input: { shardRates: [200] }, action: 'keep', batchSize: 200 },
    {
      name: 'keeps BatchSize within twice the desired one (downwards)',
      input: { mapping: mapping({ batchSize: 1_000 }), shardRates: [500] },
      action: 'keep',
      batchSize: 500,
    },
    {
      name: 'keeps a mapping changed less than the minimum interval ago',
      input: { mapping: mapping({ lastModifiedMs: NOW - 9 * MIN }), shardRates: [1_000] },
      action: 'keep',
      batchSize: 1_000,
    },
    {
      name: 'updates a mapping changed exactly the minimum interval ago',
      input: { mapping: mapping({ lastModifiedMs: NOW - 10 * MIN }), shardRates: [1_000] },
      action: 'update',
      batchSize: 1_000,
    },
    {
      name: 'updates a mapping whose last change is unknown',
      input: { mapping: mapping({ lastModifiedMs: undefined }), shardRates: [1_000] },
      action: 'update',
      batchSize: 1_000,
    },
    {
      name: 'keeps a mapping that is already Updating',
      input: { mapping: mapping({ state: 'Updating' }), shardRates: [1_000] },
      action: 'keep',
      batchSize: 1_000,
    },
    { name: 'keeps a Disabled mapping', input: { mapping: mapping({ state: 'Disabled' }), shardRates: [1_000] }, action: 'keep', batchSize: 1_000 },
    { name: 'honours a larger change factor', input: { shardRates: [250], changeFactor: 3 }, action: 'keep', batchSize: 250 },
  ])('$name', ({ input, action, batchSize }) => {
    // Act
    const result = plan(input);
    // Assess
    expect(result.action).toBe(action);
    expect(result.desired).toEqual({ batchSize, maximumBatchingWindowInSeconds: 1 });
  });

  it('keeps the mapping when no shard has a published rate', () => {
    // Act
    const result = plan({ shardRates: [] });
    // Assess
    expect(result).toEqual({ action: 'keep', reason: 'no shard has a published rate' });
  });

  it('says why it keeps a mapping changed recently', () => {
    // Act
    const result = plan({ mapping: mapping({ lastModifiedMs: NOW - 90_000 }), shardRates: [1_000] });
    // Assess
    expect(result.reason).toBe('the mapping changed 90 s ago; at most one change per 600 s');
  });
});
