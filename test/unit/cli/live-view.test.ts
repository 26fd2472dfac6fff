import { describe, expect, it } from 'vitest';
import type { BatchStats } from '../../../lib/core/batch-stats';
import { LiveView } from '../../../lib/cli/live-view';

/** A committed batch as `sluice dev` reports it: the allowance schedule's delays are fractional. */
const batch = (overrides: Partial<BatchStats>): BatchStats => ({
  app: 'word-count',
  shardId: 'shardId-000000000000',
  batchNo: 7,
  batchTimeMs: 1_767_225_600_000,
  records: 1_200,
  quarantined: 0,
  processingMs: 41.5,
  schedulingDelayMs: 2_981.05908203125,
  rateLimit: 812.3333,
  replayed: false,
  ...overrides,
});

describe('LiveView', () => {
  it('prints whole milliseconds and rates, never the floats it is given', () => {
    // Prepare
    const lines: string[] = [];
    const view = new LiveView({ title: 'test', interactive: false, write: (text) => void lines.push(text) });
    const stats = batch({});
    // Act
    view.batch({
      shardId: stats.shardId,
      scheduledMs: stats.batchTimeMs,
      batches: [stats],
      records: stats.records,
      schedulingDelayMs: stats.schedulingDelayMs,
      rate: stats.rateLimit,
      committedSeq: null,
    });
    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\d\.\d/);
    expect(lines[0]!.replace(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g'), '')).toMatch(/^shardId-000000000000 +7 00:00:00 +1,200 +42 +2,981 +812\n$/);
  });
});
