import { disturbanceStartMs } from './arrival-profile';
import { simulateBatchShard } from './batch-model';
import type { ControllerSpec } from './controller-spec';
import { simulateLambdaShard } from './lambda-model';
import type { ShardTrace } from './shard-trace';
import { resolveSimulationConfig, sustainableRatePerShard } from './simulation-config';
import type { SimulationConfig, SimulationOptions } from './simulation-config';
import { summarize } from './summarize';
import type { SimulationSummary } from './summarize';

/** One point of a controller's time series: all shards at the end of one batch interval. */
export interface SimulationPoint {
  readonly tSeconds: number;
  /** Records/s that arrived at the source. */
  readonly arrivals: number;
  /** Records/s admitted into batches. */
  readonly admitted: number;
  /** Sum of the shards' limits (records/s); `null` while any shard has none. */
  readonly rate: number | null;
  /** Records waiting in the source. */
  readonly backlog: number;
  /** Worst shard's scheduling delay (ms). */
  readonly schedulingDelayMs: number;
}

/** One controller's run: its name, time series and summary. */
export interface SimulationRun {
  readonly controller: ControllerSpec['kind'];
  readonly series: SimulationPoint[];
  readonly summary: SimulationSummary;
}

/** Every controller's run over the same arrivals and cost jitter. */
export interface SimulationResult {
  readonly config: SimulationConfig;
  readonly sustainableRatePerShard: number;
  readonly runs: SimulationRun[];
}

/**
 * Runs the deterministic rate-control simulator: the same arrivals, costs and seeded jitter for each
 * controller, shard by shard, with the real estimator classes in the loop. Nothing is read from a
 * clock, so equal inputs give equal outputs.
 *
 * @example
 * const result = simulate({ profile: { kind: 'spike' } }, [{ kind: 'spark-pid' }, { kind: 'sluice' }]);
 * result.runs.map((r) => r.summary.recoveryBatches);
 */
export function simulate(options: SimulationOptions | SimulationConfig, controllers: readonly ControllerSpec[]): SimulationResult {
  const config = resolveSimulationConfig(options);
  const sustainable = sustainableRatePerShard(config);
  const fromStep = Math.floor(disturbanceStartMs(config.profile) / config.batchIntervalMs);
  const runs = controllers.map((spec): SimulationRun => {
    const traces: ShardTrace[] = [];
    for (let shard = 0; shard < config.shards; shard++) {
      traces.push(config.mode === 'batch' ? simulateBatchShard(config, spec, shard) : simulateLambdaShard(config, spec, shard));
    }
    return {
      controller: spec.kind,
      series: aggregate(traces, config.batchIntervalMs),
      summary: summarize(traces, config.batchIntervalMs, sustainable, fromStep),
    };
  });
  return { config, sustainableRatePerShard: sustainable, runs };
}

function aggregate(traces: readonly ShardTrace[], intervalMs: number): SimulationPoint[] {
  const perSecond = 1000 / intervalMs;
  return traces[0]!.rate.map((_, k): SimulationPoint => {
    let arrivals = 0;
    let admitted = 0;
    let rate: number | null = 0;
    let backlog = 0;
    let delay = 0;
    for (const t of traces) {
      arrivals += t.arrivals[k]!;
      admitted += t.admitted[k]!;
      rate = rate === null || !Number.isFinite(t.rate[k]!) ? null : rate + t.rate[k]!;
      backlog += t.backlog[k]!;
      delay = Math.max(delay, t.delayMs[k]!);
    }
    return { tSeconds: ((k + 1) * intervalMs) / 1000, arrivals: arrivals * perSecond, admitted: admitted * perSecond, rate, backlog, schedulingDelayMs: delay };
  });
}
