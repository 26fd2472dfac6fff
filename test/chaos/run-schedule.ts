import type { CheckpointStore } from '../../lib/ports/checkpoint-store';
import type { Metrics } from '../../lib/ports/metrics';
import type { ObjectStore } from '../../lib/ports/object-store';
import { FakeClock } from '../helpers/fake-clock';
import { FAULT_KINDS, type FaultKind } from '../helpers/faults/fault-plan';
import { seededRandom } from '../helpers/run-cli';
import type { ForeachBatchFn } from '../../lib/core/pipeline/op-spec';
import { chaosPipeline, OutputLog } from './chaos-pipeline';
import { ChaosEsm } from './chaos-esm';
import { checkOracle } from './chaos-oracle';
import { LambdaPool } from './lambda-pool';
import type { ScheduleConfig } from './schedule-config';

/** The outcome of one schedule. */
export interface ScheduleReport {
  readonly app: string;
  readonly records: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly faults: Record<FaultKind, number>;
  /** Faults that hit a call on a state object (a snapshot or delta PUT, a load, a sweep). */
  readonly stateFaults: number;
  readonly invocations: number;
  /** Commits fenced off by another invocation's, in invocations that then finished. */
  readonly fenced: number;
  /** Batches re-run from a WAL object another attempt allocated. */
  readonly replayed: number;
  readonly recordQuarantines: number;
  readonly batchQuarantines: number;
  readonly violations: readonly string[];
}

/** Fresh, empty stores for one schedule (a namespace of their own on a shared backend). */
export interface ScheduleStores {
  readonly checkpoints: CheckpointStore;
  readonly objects: ObjectStore;
  /** A real sink table every batch's words also go to, which the oracle then reads (moto backend). */
  readonly sinkTable?: SinkTable;
}

/** A DynamoDB sink (`sluice/sinks`) and how to read back what it wrote for an app. */
export interface SinkTable {
  readonly write: ForeachBatchFn;
  /** Every item the sink wrote for `app`: its id, word and batch. */
  items(app: string): Promise<Array<{ id: string; word: string; shardId: string; batchNo: number }>>;
}

/**
 * Runs one schedule: the ESM model's random steps with faults, then a fault-free drain, then the
 * oracle over the stores as the faults left them. Never throws for a broken invariant: the report
 * lists it, so a run goes on and counts.
 */
export async function runSchedule(config: ScheduleConfig, stores: ScheduleStores): Promise<ScheduleReport> {
  const clock = new FakeClock({ startMs: 1_700_000_000_000 });
  const output = new OutputLog(stores.sinkTable?.write);
  const metrics: Metrics = { batchCommitted: () => undefined, recordsQuarantined: () => undefined };
  const pool = new LambdaPool({
    app: config.app,
    ...stores,
    clock,
    output,
    metrics,
    walEnabled: config.walEnabled,
    maxRatePerShard: config.maxRatePerShard,
    maxBatchAttempts: config.maxBatchAttempts,
    maxRecordBytes: config.maxRecordBytes,
    snapshotPolicy: config.snapshotPolicy,
  });
  const esm = new ChaosEsm(config, pool, clock, seededRandom(config.seed ^ 0x2545f491));
  const violations: string[] = [];
  try {
    await esm.run();
    await esm.drain();
  } catch (error) {
    violations.push(`the schedule itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  violations.push(...esm.violations);
  const verdict = await checkOracle(config, stores, chaosPipeline(output.write), output).catch((error: unknown) => ({
    lost: 0,
    duplicated: 0,
    recordQuarantines: 0,
    batchQuarantines: 0,
    violations: [`the final state does not read back: ${error instanceof Error ? error.message : String(error)}`],
  }));
  violations.push(...verdict.violations);
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  let stateFaults = 0;
  for (const injector of pool.injectors) {
    for (const [kind, n] of Object.entries(injector.counts())) faults[kind as FaultKind] += n;
    stateFaults += injector.injected.filter((f) => f.call.port === 'objects' && f.call.target.startsWith('state/')).length;
  }
  return {
    app: config.app,
    records: config.shards.reduce((n, s) => n + s.records.length, 0),
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    faults,
    stateFaults,
    invocations: pool.invocations,
    fenced: pool.fenced,
    replayed: pool.replayed,
    recordQuarantines: verdict.recordQuarantines,
    batchQuarantines: verdict.batchQuarantines,
    violations,
  };
}
