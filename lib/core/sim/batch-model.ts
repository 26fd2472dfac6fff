import type { RateEstimator } from '../rate/rate-estimator';
import { arrivalsPerTick } from './arrival-profile';
import type { ControllerSpec } from './controller-spec';
import { createEstimator, initialRate } from './controller-spec';
import { seededRandom } from '../util/seeded-random';
import { TraceRecorder } from './shard-trace';
import type { ShardTrace } from './shard-trace';
import type { SimulationConfig } from './simulation-config';

/**
 * One shard under Spark's batch timer. At every batch time the receiver admits at most
 * `rate × interval` of the waiting records (the rest stay in the source); batches run one at a time,
 * so a batch starts at `max(batch time, previous end)` and its scheduling delay is that start minus
 * the batch time. The estimator runs when a batch completes, and its rate applies to the first batch
 * whose time is at or after that completion, as Spark's asynchronous RateController does.
 */
export function simulateBatchShard(config: SimulationConfig, spec: ControllerSpec, shard: number): ShardTrace {
  const { batchIntervalMs: interval, tickMs } = config;
  const steps = Math.floor((config.durationSeconds * 1000) / interval);
  const ticksPerStep = interval / tickMs;
  const arrivals = arrivalsPerTick(config.profile, tickMs, steps * ticksPerStep);
  const jitter = seededRandom(config.seed * 1009 + shard);
  const estimator: RateEstimator | undefined = createEstimator(spec, interval);
  const pending: Array<{ atMs: number; rate: number }> = [];
  const trace = new TraceRecorder();
  let rate = initialRate(spec, config.initialRatePerShard);
  let backlog = 0;
  let busyUntil = 0;

  for (let k = 1; k <= steps; k++) {
    const batchTime = k * interval;
    let arrived = 0;
    for (let i = (k - 1) * ticksPerStep; i < k * ticksPerStep; i++) arrived += arrivals[i]!;
    backlog += arrived;
    // Only completions up to this batch time can have reached the receiver.
    while (pending.length > 0 && pending[0]!.atMs <= batchTime) rate = pending.shift()!.rate;
    const admitted = Number.isFinite(rate) ? Math.min(backlog, Math.floor((rate * interval) / 1000)) : backlog;
    backlog -= admitted;
    const factor = 1 + config.costJitter * (2 * jitter() - 1);
    const processingMs = config.batchOverheadMs + config.costPerRecordMs * factor * admitted;
    const start = Math.max(batchTime, busyUntil);
    busyUntil = start + processingMs;
    const next = estimator?.compute(busyUntil, admitted, processingMs, start - batchTime);
    if (next !== undefined) pending.push({ atMs: busyUntil, rate: next });
    trace.push(arrived, admitted, rate, backlog, start - batchTime);
  }
  return trace.finish();
}
