import { FAULT_KINDS, type FaultKind } from '../helpers/faults/fault-plan';
import type { ChaosBackend } from './chaos-backend';
import { runSchedule, type ScheduleReport } from './run-schedule';
import { drawSchedule, type ScheduleSize } from './schedule-config';

/** Options of {@link runChaos}. */
export interface RunChaosOptions {
  readonly backend: ChaosBackend;
  readonly seed: number;
  /** Which schedules of the seed to run. */
  readonly indexes: readonly number[];
  readonly size: ScheduleSize;
  readonly onProgress?: (done: number, total: number) => void;
}

/** The figures of a chaos run, and the schedules that broke an invariant. */
export class ChaosSummary {
  schedules = 0;
  records = 0;
  invocations = 0;
  fenced = 0;
  replayed = 0;
  recordQuarantines = 0;
  batchQuarantines = 0;
  lost = 0;
  duplicated = 0;
  stateFaults = 0;
  readonly faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  readonly failed: Array<{ index: number; report: ScheduleReport }> = [];

  get totalFaults(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0);
  }

  add(index: number, report: ScheduleReport): void {
    this.schedules++;
    this.records += report.records;
    this.invocations += report.invocations;
    this.fenced += report.fenced;
    this.replayed += report.replayed;
    this.recordQuarantines += report.recordQuarantines;
    this.batchQuarantines += report.batchQuarantines;
    this.lost += report.lost;
    this.duplicated += report.duplicated;
    this.stateFaults += report.stateFaults;
    for (const kind of FAULT_KINDS) this.faults[kind] += report.faults[kind];
    if (report.violations.length > 0) this.failed.push({ index, report });
  }

  /** The report: figures, failed schedules with how to replay them, then the one summary line. */
  describe(where: string): string {
    const n = (x: number): string => x.toLocaleString('en-US');
    const lines = [
      `chaos: ${where}`,
      `  records checked  ${n(this.records)} (${n(this.recordQuarantines)} quarantined one by one, ${n(this.batchQuarantines)} ${this.batchQuarantines === 1 ? 'batch' : 'batches'} set aside)`,
      `  invocations      ${n(this.invocations)} (${n(this.fenced)} commits fenced off, ${n(this.replayed)} batches re-run from the WAL)`,
      `  faults by kind   ${FAULT_KINDS.map((k) => `${k} ${n(this.faults[k])}`).join(', ')}`,
      `  on state objects ${n(this.stateFaults)} of them (snapshot and delta puts, loads, sweeps)`,
    ];
    for (const { index, report } of this.failed.slice(0, 10)) {
      lines.push(`  FAILED schedule ${index} (${report.app}; replay with --only ${index}):`, ...report.violations.slice(0, 8).map((v) => `    ${v}`));
    }
    lines.push(`${this.schedules} schedules, ${this.totalFaults} faults injected, ${this.lost} lost, ${this.duplicated} duplicated`);
    return lines.join('\n');
  }
}

/** Runs the schedules one after another on the backend and sums their reports. */
export async function runChaos(options: RunChaosOptions): Promise<ChaosSummary> {
  const summary = new ChaosSummary();
  for (const index of options.indexes) {
    const config = drawSchedule(options.seed, index, options.size);
    summary.add(index, await runSchedule(config, options.backend.stores()));
    options.onProgress?.(summary.schedules, options.indexes.length);
  }
  for (const [kind, n] of Object.entries(options.backend.faults())) summary.faults[kind as FaultKind] += n;
  return summary;
}
