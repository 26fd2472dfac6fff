import type { SnapshotPolicy } from '../../lib/runtime/protocol/state/state-manifest';
import type { FaultKind } from '../helpers/faults/fault-plan';
import { seededRandom } from '../helpers/run-cli';
import { drawShardLog, type ChaosRecord } from './chaos-records';

/** Everything a chaos schedule is, drawn from its seed: the data, the settings and the fault rates. */
export interface ScheduleConfig {
  readonly seed: number;
  readonly app: string;
  readonly shards: ReadonlyArray<{ readonly shardId: string; readonly records: readonly ChaosRecord[] }>;
  readonly walEnabled: boolean;
  readonly maxRatePerShard: number | undefined;
  /** `undefined`: no failure policy, a failing batch is retried without bound. */
  readonly maxBatchAttempts: number | undefined;
  readonly maxRecordBytes: number;
  /** When batches write a snapshot instead of a delta: often, so snapshots, deltas and sweeps all meet faults. */
  readonly snapshotPolicy: SnapshotPolicy;
  /** Probability per port call of each fault. */
  readonly faultRates: Partial<Record<FaultKind, number>>;
  /** Scheduler steps before the final drain. */
  readonly steps: number;
  /** Largest delivery the ESM makes (its BatchSize). */
  readonly batchSize: number;
}

/** Bounds of {@link drawSchedule}: small for CI and emulators, larger for the full run. */
export interface ScheduleSize {
  readonly maxShards: number;
  readonly maxRecordsPerShard: number;
  readonly maxSteps: number;
}

export const DEFAULT_SCHEDULE_SIZE: ScheduleSize = { maxShards: 3, maxRecordsPerShard: 120, maxSteps: 40 };

/** For emulators, where every port call is an HTTP round trip. */
export const SMALL_SCHEDULE_SIZE: ScheduleSize = { maxShards: 2, maxRecordsPerShard: 40, maxSteps: 16 };

/**
 * Draws schedule `index` of a run seeded `seed`. A schedule replays from (seed, index) alone:
 * `npm run chaos -- --seed S --only I` re-runs the one that failed.
 */
export function drawSchedule(seed: number, index: number, size: ScheduleSize = DEFAULT_SCHEDULE_SIZE): ScheduleConfig {
  const scheduleSeed = (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  const random = seededRandom(scheduleSeed);
  const pick = (p: number): boolean => random() < p;
  const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));
  const maxRecordBytes = 256;
  const poisonous = pick(0.5);
  const shards = Array.from({ length: between(1, size.maxShards) }, (_, shardIndex) => ({
    shardId: `shardId-${String(shardIndex).padStart(12, '0')}`,
    records: drawShardLog(random, {
      shardIndex,
      count: between(5, size.maxRecordsPerShard),
      seqStyle: pick(0.5) ? 'small' : 'kinesis',
      poisonRate: poisonous ? 0.04 : 0,
      undecodableRate: poisonous ? 0.02 : 0,
      oversizedRate: poisonous ? 0.02 : 0,
      maxRecordBytes,
    }),
  }));
  const intensity = 0.03 + random() * 0.12;
  const share = (weight: number): number => intensity * weight;
  return {
    seed: scheduleSeed,
    app: `chaos-${seed}-${index}`,
    shards,
    walEnabled: pick(0.85),
    maxRatePerShard: pick(0.3) ? between(5, 40) : undefined,
    maxBatchAttempts: pick(0.5) ? between(2, 5) : undefined,
    maxRecordBytes,
    faultRates: {
      'crash-before': share(0.2),
      'crash-after': share(0.2),
      timeout: share(0.1),
      throttle: share(0.15),
      'server-error': share(0.15),
      stall: share(0.2),
      // Only sink calls draw it, and there is one per batch: give it a rate of its own.
      'sink-error': pick(0.5) ? 0.1 + random() * 0.3 : 0,
    },
    steps: between(10, size.maxSteps),
    batchSize: between(1, 40),
    // Drawn last, so the schedules' other draws are those of earlier runs.
    snapshotPolicy: pick(0.8) ? { maxDeltas: between(1, 4), deltaRatio: 1_000 } : {},
  };
}
