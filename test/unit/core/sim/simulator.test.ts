import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import type { ControllerSpec } from '../../../../lib/core/sim/controller-spec';
import type { ProfileKind } from '../../../../lib/core/sim/arrival-profile';
import type { SimulationMode, SimulationOptions } from '../../../../lib/core/sim/simulation-config';
import { simulate } from '../../../../lib/core/sim/simulator';
import type { SimulationRun } from '../../../../lib/core/sim/simulator';

const ALL: ControllerSpec[] = [{ kind: 'none' }, { kind: 'static', ratePerShard: 1600 }, { kind: 'spark-pid' }, { kind: 'sluice' }];
const recovery = (run: SimulationRun): number => run.summary.recoveryBatches ?? Number.POSITIVE_INFINITY;
const byKind = (runs: SimulationRun[], kind: ControllerSpec['kind']): SimulationRun => runs.find((r) => r.controller === kind)!;

describe('simulate', () => {
  const cases: Array<[ProfileKind, SimulationMode]> = (['steady', 'spike', 'ramp', 'sine'] as const).flatMap((p) =>
    (['batch', 'lambda'] as const).map((m): [ProfileKind, SimulationMode] => [p, m]),
  );

  it.each(cases)('drops no record: %s profile, %s mode', (kind, mode) => {
    // Act
    const result = simulate({ mode, shards: 2, durationSeconds: 180, profile: { kind } }, ALL);

    // Assess
    for (const run of result.runs) {
      const arrived = run.series.reduce((sum, p) => sum + (p.arrivals * result.config.batchIntervalMs) / 1000, 0);
      expect(run.summary.droppedRecords).toBe(0);
      expect(run.summary.processedRecords + run.summary.finalBacklog).toBeCloseTo(arrived, 6);
    }
  });

  it.each<[string, SimulationOptions]>([
    ['batch mode', {}],
    ['batch mode, seed 2', { seed: 2 }],
    ['batch mode, ±30 % cost jitter', { costJitter: 0.3 }],
    ['batch mode, spike at start-up', { profile: { startSeconds: 0 } }],
    ['lambda mode', { mode: 'lambda' }],
    ['lambda mode, ±30 % cost jitter', { mode: 'lambda', costJitter: 0.3 }],
    ['lambda mode, spike at start-up', { mode: 'lambda', profile: { startSeconds: 0 } }],
    ['lambda mode, 10 s control interval', { mode: 'lambda', controlIntervalSeconds: 10, seed: 3 }],
  ])("sluice recovers from a 10× spike no later than Spark's PID and overshoots no more (%s)", (_name, options) => {
    // Act
    const { runs } = simulate({ shards: 2, ...options, profile: { kind: 'spike', ...options.profile } }, [{ kind: 'spark-pid' }, { kind: 'sluice' }]);
    const [spark, sluice] = [byKind(runs, 'spark-pid'), byKind(runs, 'sluice')];

    // Assess
    expect(recovery(sluice)).toBeLessThanOrEqual(recovery(spark));
    expect(sluice.summary.overshootPct).toBeLessThanOrEqual(spark.summary.overshootPct);
    expect(sluice.summary.droppedRecords).toBe(0);
  });

  it('models an overload: without a limit the spike queues for minutes, with a PID it does not', () => {
    // Act
    const { runs } = simulate({}, ALL);

    // Assess
    expect(byKind(runs, 'none').summary.maxSchedulingDelayMs).toBeGreaterThan(60_000);
    expect(byKind(runs, 'none').summary.overshootPct).toBeGreaterThan(300);
    expect(byKind(runs, 'spark-pid').summary.maxSchedulingDelayMs).toBeLessThan(1000);
    expect(byKind(runs, 'sluice').summary.maxSchedulingDelayMs).toBeLessThan(byKind(runs, 'spark-pid').summary.maxSchedulingDelayMs);
  });

  it('admits at most rate × interval per shard and batch under a static limit', () => {
    // Act
    const { runs, config } = simulate({ shards: 3 }, [{ kind: 'static', ratePerShard: 1234 }]);

    // Assess
    const perBatch = Math.floor((1234 * config.batchIntervalMs) / 1000) * 3;
    expect(Math.max(...runs[0]!.series.map((p) => (p.admitted * config.batchIntervalMs) / 1000))).toBe(perBatch);
    expect(runs[0]!.summary.overshootPct).toBe(0);
  });

  it('is deterministic: the same options give the same series', () => {
    // Act
    const a = simulate({ mode: 'lambda', durationSeconds: 120 }, ALL);
    const b = simulate({ mode: 'lambda', durationSeconds: 120 }, ALL);

    // Assess
    expect(a).toEqual(b);
  });

  it('produces one point per batch interval, ending at the duration', () => {
    // Act
    const { runs } = simulate({ durationSeconds: 90, batchIntervalMs: 500 }, [{ kind: 'sluice' }]);

    // Assess
    expect(runs[0]!.series).toHaveLength(180);
    expect(runs[0]!.series.at(-1)!.tSeconds).toBe(90);
  });

  it('loses nothing when the controller Lambda restarts from its JSON state', () => {
    // Act
    const restarting = simulate({ mode: 'lambda', controllerLifetimeSeconds: 5, durationSeconds: 200 }, [{ kind: 'spark-pid' }, { kind: 'sluice' }]);
    const longLived = simulate({ mode: 'lambda', controllerLifetimeSeconds: 3600, durationSeconds: 200 }, [{ kind: 'spark-pid' }, { kind: 'sluice' }]);

    // Assess
    expect(restarting.runs).toEqual(longLived.runs);
  });

  it('shows why Lambda scheduling delay must not be record age: the PID then chases its own deferrals', () => {
    // Act
    const allowance = simulate({ mode: 'lambda' }, [{ kind: 'spark-pid' }]).runs[0]!.summary;
    const recordAge = simulate({ mode: 'lambda', delayDefinition: 'record-age' }, [{ kind: 'spark-pid' }]).runs[0]!.summary;

    // Assess
    expect(recordAge.processedRecords).toBeLessThan(allowance.processedRecords / 2);
    expect(recordAge.recoveryBatches).toBeNull();
    expect(allowance.recoveryBatches).toBe(0);
  });

  it('shows why Lambda batches must be paced to the schedule rather than taken greedily from a token bucket', () => {
    // Act
    const paced = simulate({ mode: 'lambda' }, [{ kind: 'spark-pid' }]).runs[0]!.summary;
    const greedy = simulate({ mode: 'lambda', admission: 'token-bucket' }, [{ kind: 'spark-pid' }]).runs[0]!.summary;

    // Assess: small greedy batches measure exactly the rate they were given, so the PID never climbs to capacity.
    expect(greedy.droppedRecords).toBe(0);
    expect(greedy.finalBacklog).toBeGreaterThan(50 * paced.finalBacklog);
  });

  it.each<[string, SimulationOptions, RegExp]>([
    ['no shards', { shards: 0 }, /^sim\.shards: must be an integer from 1 to 1000 \(given 0\)/],
    ['a tick that does not divide the interval', { tickMs: 7 }, /^sim\.tickMs: must divide batchIntervalMs 1000 \(given 7\)/],
    ['an overhead as long as the interval', { batchOverheadMs: 1000 }, /^sim\.batchOverheadMs: /],
    ['an unknown profile', { profile: { kind: 'wave' as ProfileKind } }, /^sim\.profile\.kind: must be one of steady, spike, ramp, sine/],
    ['an unknown mode', { mode: 'stream' as SimulationMode }, /^sim\.mode: /],
    ['an unknown admission', { admission: 'lottery' as SimulationOptions['admission'] }, /^sim\.admission: /],
  ])('rejects %s', (_name, options, message) => {
    // Act
    const run = (): unknown => simulate(options, ALL);

    // Assess
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  it('rejects a static limit that is not positive', () => {
    // Act / Assess
    expect(() => simulate({}, [{ kind: 'static', ratePerShard: 0 }])).toThrow(/^sim\.static\.ratePerShard: /);
  });
});
