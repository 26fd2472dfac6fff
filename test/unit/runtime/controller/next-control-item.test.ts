import { describe, expect, it } from 'vitest';
import { INITIAL_PID_STATE } from '../../../../lib/core/rate/pid-state';
import type { CheckpointRecord, CheckpointTotals } from '../../../../lib/runtime/protocol/checkpoint-record';
import type { ControlItem } from '../../../../lib/runtime/controller/control-item';
import type { EstimatorConfig } from '../../../../lib/runtime/controller/create-rate-estimator';
import { nextControlItem, type ShardControlInput } from '../../../../lib/runtime/controller/next-control-item';

const SLUICE: EstimatorConfig = { kind: 'sluice', batchIntervalMs: 1000 };
const SPARK: EstimatorConfig = { kind: 'pid', batchIntervalMs: 1000 };
const ZERO: CheckpointTotals = { batches: 0, records: 0, processingMs: 0, quarantined: 0 };

const checkpoint = (totals: CheckpointTotals | undefined, schedulingDelayMs = 0): CheckpointRecord => ({
  batchNo: totals?.batches ?? 1,
  committedSeq: '1',
  stateLayout: '',
  lastBatch: { records: 0, processingMs: 0, quarantined: 0, quarantinedElements: 0, schedulingDelayMs, batchTimeMs: 0 },
  ...(totals === undefined ? {} : { totals }),
  updatedAtMs: 0,
});

const control = (extra: Partial<ControlItem> = {}): ControlItem => ({
  estimator: 'sluice',
  pid: INITIAL_PID_STATE,
  heartbeat: { atMs: 0, invocationId: 'earlier' },
  sample: { atMs: 0, ...ZERO },
  ...extra,
});

const step = (input: Partial<ShardControlInput>): ControlItem | undefined =>
  nextControlItem({ nowMs: 5_000, checkpoint: undefined, previous: undefined, estimator: SLUICE, invocationId: 'now', heartbeatIntervalMs: 60_000, ...input });

describe('nextControlItem', () => {
  it('writes a first heartbeat for a shard that has no control item, without a rate', () => {
    // Act
    const next = step({ checkpoint: checkpoint(undefined) });
    // Assess
    expect(next).toEqual({ estimator: 'sluice', pid: INITIAL_PID_STATE, heartbeat: { atMs: 5_000, invocationId: 'now' } });
  });

  it('takes the first totals as the baseline and publishes nothing yet', () => {
    // Act
    const next = step({ checkpoint: checkpoint({ batches: 3, records: 900, processingMs: 450, quarantined: 0 }), previous: control({ sample: undefined }) });
    // Assess
    expect(next?.sample).toEqual({ atMs: 5_000, batches: 3, records: 900, processingMs: 450, quarantined: 0 });
    expect(next?.rateLimit).toBeUndefined();
  });

  it('publishes 95 % of the measured processing rate on the first estimate of the sluice controller', () => {
    // Act: 5,000 records processed in 2,500 ms = 2,000 records/s.
    const next = step({ checkpoint: checkpoint({ batches: 5, records: 5_000, processingMs: 2_500, quarantined: 0 }), previous: control() });
    // Assess
    expect(next?.rateLimit).toBeCloseTo(1_900, 6);
    expect(next?.updatedAtMs).toBe(5_000);
    expect(next?.pid).toEqual({ firstRun: false, latestTimeMs: 5_000, latestRate: next?.rateLimit, latestError: 0 });
    expect(next?.inputs).toEqual({ records: 5_000, processingMs: 2_500, schedulingDelayMs: 0 });
  });

  it("reproduces Spark's PID vector over three samples, publishing 1000 then 900", () => {
    // Prepare: Spark's test vector, one batch per sample (Spark's PIDRateEstimatorSuite).
    const samples: Array<[nowMs: number, totals: CheckpointTotals, delayMs: number]> = [
      [1_000, { batches: 1, records: 1_000, processingMs: 500, quarantined: 0 }, 0],
      [2_000, { batches: 2, records: 2_000, processingMs: 1_500, quarantined: 0 }, 0],
      [3_000, { batches: 3, records: 3_000, processingMs: 2_500, quarantined: 0 }, 500],
    ];
    // Act
    let previous: ControlItem | undefined = control({ estimator: 'pid' });
    const rates: Array<number | undefined> = [];
    for (const [nowMs, totals, delayMs] of samples) {
      previous = nextControlItem({
        nowMs,
        checkpoint: checkpoint(totals, delayMs),
        previous,
        estimator: SPARK,
        invocationId: 'x',
        heartbeatIntervalMs: 60_000,
      });
      rates.push(previous?.rateLimit);
    }
    // Assess
    expect(rates).toEqual([undefined, 1_000, 900]);
    expect(previous?.terms).toEqual({ processingRate: 1_000, error: 0, historicalError: 500, dError: -1_000 });
  });

  it('keeps the published rate and writes nothing when no batch committed and the heartbeat is fresh', () => {
    // Prepare
    const totals = { batches: 4, records: 400, processingMs: 200, quarantined: 0 };
    // Act
    const next = step({ nowMs: 30_000, checkpoint: checkpoint(totals), previous: control({ rateLimit: 700, sample: { atMs: 0, ...totals } }) });
    // Assess
    expect(next).toBeUndefined();
  });

  it('rewrites an idle shard only to refresh a stale heartbeat, keeping its rate', () => {
    // Prepare
    const totals = { batches: 4, records: 400, processingMs: 200, quarantined: 0 };
    // Act
    const next = step({ nowMs: 61_000, checkpoint: checkpoint(totals), previous: control({ rateLimit: 700, updatedAtMs: 0, sample: { atMs: 0, ...totals } }) });
    // Assess
    expect(next).toMatchObject({ rateLimit: 700, updatedAtMs: 0, heartbeat: { atMs: 61_000, invocationId: 'now' } });
  });

  it('starts a new baseline when the totals went backwards, keeping the rate', () => {
    // Act: the app's checkpoints were reset below the stored sample.
    const pid = { firstRun: false, latestTimeMs: 1_000, latestRate: 700, latestError: 12 };
    const next = step({
      checkpoint: checkpoint({ batches: 1, records: 10, processingMs: 5, quarantined: 0 }),
      previous: control({ rateLimit: 700, pid, sample: { atMs: 0, batches: 50, records: 5_000, processingMs: 2_500, quarantined: 0 } }),
    });
    // Assess
    expect(next?.rateLimit).toBe(700);
    expect(next?.sample?.records).toBe(10);
    expect(next?.pid).toEqual(pid);
  });

  it('keeps the rate when batches committed but took no measurable time', () => {
    // Act
    const next = step({ checkpoint: checkpoint({ batches: 2, records: 100, processingMs: 0, quarantined: 0 }), previous: control({ rateLimit: 700 }) });
    // Assess
    expect(next?.rateLimit).toBe(700);
    expect(next?.sample?.batches).toBe(2);
  });

  it('clamps the sluice estimate to maxRate', () => {
    // Act
    const next = step({
      estimator: { ...SLUICE, maxRate: 500 },
      checkpoint: checkpoint({ batches: 5, records: 5_000, processingMs: 2_500, quarantined: 0 }),
      previous: control(),
    });
    // Assess
    expect(next?.rateLimit).toBe(500);
  });
});
