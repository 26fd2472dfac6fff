import { ConfigError } from '../errors';
import { checkRange } from '../rate/check-range';
import { PROFILE_KINDS } from './arrival-profile';
import type { ArrivalProfile } from './arrival-profile';

/**
 * How batches are driven. `batch`: Spark's timer cuts a batch every interval and the PID runs after
 * each. `lambda`: no timer; an event source mapping invokes the shard back to back and a controller
 * samples every `controlIntervalSeconds` (docs/architecture.md §6).
 */
export type SimulationMode = 'batch' | 'lambda';

/**
 * Scheduling delay of a Lambda invocation. `allowance`: behind the shard's own allowance schedule
 * (what sluice uses). `record-age`: start − first arrival − batching window, kept to show why not.
 */
export type DelayDefinition = 'allowance' | 'record-age';

/**
 * How a Lambda processor admits records under a rate. `schedule`: `scheduleInvocation` paces
 * batches to the allowance schedule, one `rate × interval` batch per interval. `token-bucket`: each
 * invocation takes what a `TokenBucket` of one interval's burst holds, as soon as it runs.
 */
export type Admission = 'schedule' | 'token-bucket';

/** A fully resolved simulation; build one with {@link resolveSimulationConfig}. */
export interface SimulationConfig {
  readonly shards: number;
  readonly durationSeconds: number;
  readonly batchIntervalMs: number;
  readonly batchOverheadMs: number;
  readonly costPerRecordMs: number;
  /** Each batch's per-record cost is scaled by a seeded factor in `[1 − jitter, 1 + jitter]`. */
  readonly costJitter: number;
  readonly seed: number;
  /** Resolution of arrivals and of Lambda invocation starts. */
  readonly tickMs: number;
  readonly profile: ArrivalProfile;
  /** Rate before the first estimate; `undefined` = none, as Spark without `initialRate`. */
  readonly initialRatePerShard: number | undefined;
  readonly mode: SimulationMode;
  readonly controlIntervalSeconds: number;
  readonly batchingWindowMs: number;
  readonly maxBatchRecords: number;
  /** The controller Lambda restarts this often, restoring its PID state from JSON. */
  readonly controllerLifetimeSeconds: number;
  readonly delayDefinition: DelayDefinition;
  readonly admission: Admission;
}

/** What a caller may set; everything else takes the defaults below. */
export type SimulationOptions = Partial<Omit<SimulationConfig, 'profile'>> & { readonly profile?: Partial<ArrivalProfile> };

/** Records/s one shard sustains with batches that take exactly one interval: `(interval − overhead) / cost`. */
export function sustainableRatePerShard(c: Pick<SimulationConfig, 'batchIntervalMs' | 'batchOverheadMs' | 'costPerRecordMs'>): number {
  return ((c.batchIntervalMs - c.batchOverheadMs) / c.costPerRecordMs) * (1000 / c.batchIntervalMs);
}

/**
 * Fills defaults and validates. Defaults: 4 shards, 360 s, 1 s batches, 100 ms overhead, 0.5 ms per
 * record (1,800 records/s sustainable), ±10 % cost jitter, and a 10× spike from 60 s for 30 s on a
 * base load of half the sustainable rate.
 */
export function resolveSimulationConfig(options: SimulationOptions = {}): SimulationConfig {
  const batchIntervalMs = checkRange('sim.batchIntervalMs', options.batchIntervalMs ?? 1000, { min: 1, integer: true });
  const batchOverheadMs = checkRange('sim.batchOverheadMs', options.batchOverheadMs ?? 100, { min: 0, max: batchIntervalMs - 1 });
  const costPerRecordMs = checkRange('sim.costPerRecordMs', options.costPerRecordMs ?? 0.5, { min: 0, minExclusive: true });
  const tickMs = checkRange('sim.tickMs', options.tickMs ?? 10, { min: 1, max: batchIntervalMs, integer: true });
  if (batchIntervalMs % tickMs !== 0) throw new ConfigError('sim.tickMs', `must divide batchIntervalMs ${batchIntervalMs} (given ${tickMs})`);
  const sustainable = sustainableRatePerShard({ batchIntervalMs, batchOverheadMs, costPerRecordMs });
  const p = options.profile ?? {};
  const kind = p.kind ?? 'spike';
  if (!PROFILE_KINDS.includes(kind)) throw new ConfigError('sim.profile.kind', `must be one of ${PROFILE_KINDS.join(', ')} (given ${JSON.stringify(kind)})`);
  const profile: ArrivalProfile = {
    kind,
    baseRatePerShard: checkRange('sim.profile.baseRatePerShard', p.baseRatePerShard ?? Math.round(sustainable / 2), { min: 0 }),
    factor: checkRange('sim.profile.factor', p.factor ?? (kind === 'spike' ? 10 : 2), { min: 0 }),
    startSeconds: checkRange('sim.profile.startSeconds', p.startSeconds ?? 60, { min: 0 }),
    lengthSeconds: checkRange('sim.profile.lengthSeconds', p.lengthSeconds ?? (kind === 'spike' ? 30 : 120), { min: 0, minExclusive: true }),
  };
  const mode = options.mode ?? 'batch';
  if (mode !== 'batch' && mode !== 'lambda') throw new ConfigError('sim.mode', `must be 'batch' or 'lambda' (given ${JSON.stringify(mode)})`);
  const delayDefinition = options.delayDefinition ?? 'allowance';
  if (delayDefinition !== 'allowance' && delayDefinition !== 'record-age')
    throw new ConfigError('sim.delayDefinition', `must be 'allowance' or 'record-age' (given ${JSON.stringify(delayDefinition)})`);
  const admission = options.admission ?? 'schedule';
  if (admission !== 'schedule' && admission !== 'token-bucket')
    throw new ConfigError('sim.admission', `must be 'schedule' or 'token-bucket' (given ${JSON.stringify(admission)})`);
  const initial = options.initialRatePerShard;
  return {
    shards: checkRange('sim.shards', options.shards ?? 4, { min: 1, max: 1000, integer: true }),
    durationSeconds: checkRange('sim.durationSeconds', options.durationSeconds ?? 360, { min: batchIntervalMs / 1000, max: 86_400 }),
    batchIntervalMs,
    batchOverheadMs,
    costPerRecordMs,
    costJitter: checkRange('sim.costJitter', options.costJitter ?? 0.1, { min: 0, max: 0.9 }),
    seed: checkRange('sim.seed', options.seed ?? 7, { min: 0, integer: true }),
    tickMs,
    profile,
    initialRatePerShard: initial === undefined ? undefined : checkRange('sim.initialRatePerShard', initial, { min: 0, minExclusive: true }),
    mode,
    controlIntervalSeconds: checkRange('sim.controlIntervalSeconds', options.controlIntervalSeconds ?? 5, { min: batchIntervalMs / 1000, max: 60 }),
    batchingWindowMs: checkRange('sim.batchingWindowMs', options.batchingWindowMs ?? batchIntervalMs, { min: 0, max: 300_000 }),
    maxBatchRecords: checkRange('sim.maxBatchRecords', options.maxBatchRecords ?? 10_000, { min: 1, max: 10_000, integer: true }),
    controllerLifetimeSeconds: checkRange('sim.controllerLifetimeSeconds', options.controllerLifetimeSeconds ?? 60, { min: 1 }),
    delayDefinition,
    admission,
  };
}
