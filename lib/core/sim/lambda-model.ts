import { scheduleInvocation } from '../rate/allowance-schedule';
import type { RateEstimator } from '../rate/rate-estimator';
import { TokenBucket } from '../rate/token-bucket';
import type { TokenBucketState } from '../rate/token-bucket';
import { arrivalsPerTick } from './arrival-profile';
import { ArrivalQueue } from './arrival-queue';
import type { ControllerSpec } from './controller-spec';
import { createEstimator, initialRate } from './controller-spec';
import { seededRandom } from '../util/seeded-random';
import { TraceRecorder } from './shard-trace';
import type { ShardTrace } from './shard-trace';
import type { SimulationConfig } from './simulation-config';

interface Completion {
  readonly endMs: number;
  readonly records: number;
  readonly processingMs: number;
  readonly delayMs: number;
}

/**
 * One shard on Lambda (docs/architecture.md §6). An event source mapping invokes the shard whenever it is
 * idle and its oldest record has waited the batching window (or a full batch is there); the processor
 * admits per {@link scheduleInvocation} (or a greedy {@link TokenBucket}, per `admission`) and defers
 * the rest. A controller samples every control
 * interval from cumulative counters of completed batches (records, processing ms, latest delay), and
 * restarts from its JSON state every controller lifetime, as the scheduled Lambda does.
 */
export function simulateLambdaShard(config: SimulationConfig, spec: ControllerSpec, shard: number): ShardTrace {
  const { batchIntervalMs: interval, tickMs } = config;
  const ticksPerStep = interval / tickMs;
  const totalTicks = Math.floor((config.durationSeconds * 1000) / interval) * ticksPerStep;
  const arrivals = arrivalsPerTick(config.profile, tickMs, totalTicks);
  const jitter = seededRandom(config.seed * 1009 + shard);
  const controlMs = config.controlIntervalSeconds * 1000;
  const lifetimeMs = config.controllerLifetimeSeconds * 1000;
  let estimator: RateEstimator | undefined = createEstimator(spec, interval);
  let rate = initialRate(spec, config.initialRatePerShard);
  const queue = new ArrivalQueue();
  const completions: Completion[] = [];
  const counters = { records: 0, processingMs: 0, delayMs: 0, sampledRecords: 0, sampledProcessingMs: 0 };
  const trace = new TraceRecorder();
  let backlog = 0;
  let busyUntil = 0;
  let scheduledUntil = Number.NEGATIVE_INFINITY;
  let bucket: TokenBucketState | undefined;
  let nextSample = controlMs;
  let step = { arrived: 0, admitted: 0, delayMs: 0 };

  for (let i = 0; i < totalTicks; i++) {
    const now = (i + 1) * tickMs;
    if (arrivals[i]! > 0) queue.push(arrivals[i]!, now);
    backlog += arrivals[i]!;
    step.arrived += arrivals[i]!;

    while (nextSample <= now) {
      // Stats reach the checkpoint item at commit, so only batches completed by the sample count.
      while (completions.length > 0 && completions[0]!.endMs <= nextSample) {
        const c = completions.shift()!;
        counters.records += c.records;
        counters.processingMs += c.processingMs;
        counters.delayMs = c.delayMs;
      }
      if (estimator !== undefined && Math.floor(nextSample / lifetimeMs) !== Math.floor((nextSample - controlMs) / lifetimeMs)) {
        estimator = createEstimator(spec, interval, JSON.parse(JSON.stringify(estimator.toJSON())));
      }
      const next = estimator?.compute(
        nextSample,
        counters.records - counters.sampledRecords,
        counters.processingMs - counters.sampledProcessingMs,
        counters.delayMs,
      );
      if (next !== undefined) rate = next;
      counters.sampledRecords = counters.records;
      counters.sampledProcessingMs = counters.processingMs;
      nextSample += controlMs;
    }

    const firstArrivalMs = queue.firstArrivalMs();
    const ready = firstArrivalMs !== undefined && (firstArrivalMs + config.batchingWindowMs <= now || backlog >= config.maxBatchRecords);
    if (busyUntil <= now && ready) {
      const available = Math.min(backlog, config.maxBatchRecords);
      let granted: number | undefined;
      if (config.admission === 'token-bucket' && Number.isFinite(rate)) {
        const taken = TokenBucket.take(bucket, now, available, rate, interval / 1000);
        bucket = taken.state;
        granted = taken.granted;
      }
      const plan = scheduleInvocation({
        scheduledUntilMs: scheduledUntil,
        nowMs: now,
        firstArrivalMs,
        available,
        granted,
        ratePerSec: rate,
        batchIntervalMs: interval,
        batchingWindowMs: config.batchingWindowMs,
      });
      // An invocation granted nothing defers every record and ends at once; the ESM retries.
      if (plan.startMs <= now && plan.admitted > 0) {
        const delayMs = config.delayDefinition === 'allowance' ? plan.schedulingDelayMs : Math.max(0, now - firstArrivalMs - config.batchingWindowMs);
        queue.take(plan.admitted);
        backlog -= plan.admitted;
        scheduledUntil = plan.scheduledUntilMs;
        const processingMs = config.batchOverheadMs + config.costPerRecordMs * (1 + config.costJitter * (2 * jitter() - 1)) * plan.admitted;
        busyUntil = now + processingMs;
        completions.push({ endMs: busyUntil, records: plan.admitted, processingMs, delayMs });
        step.admitted += plan.admitted;
        step.delayMs = delayMs;
      }
    }

    if ((i + 1) % ticksPerStep === 0) {
      trace.push(step.arrived, step.admitted, rate, backlog, step.delayMs);
      step = { arrived: 0, admitted: 0, delayMs: step.delayMs };
    }
  }
  return trace.finish();
}
