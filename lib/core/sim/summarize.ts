import type { ShardTrace } from './shard-trace';

/** The numbers the ADR and `sluice simulate` report for one controller (worst shard, or sums). */
export interface SimulationSummary {
  /** Largest scheduling delay of any batch (ms). */
  readonly maxSchedulingDelayMs: number;
  /**
   * Batch intervals from the disturbance's start until the delay stayed under one interval for
   * good: 0 if it never reached one interval, `null` if it was still over at the end.
   */
  readonly recoveryBatches: number | null;
  /**
   * How far the admitted rate exceeded the sustainable rate after the disturbance began, in %:
   * the limit while it deferred records, else the records admitted per second. `Infinity` when an
   * unlimited shard deferred records (nothing bounds it).
   */
  readonly overshootPct: number;
  /** `arrived − admitted − backlog` over all shards. The simulator never drops; must be 0. */
  readonly droppedRecords: number;
  /** Records still waiting in the source at the end, all shards. */
  readonly finalBacklog: number;
  /** Records admitted into batches, all shards. */
  readonly processedRecords: number;
}

/** Summarizes the shard traces of one controller; `fromStep` is the disturbance's first step. */
export function summarize(traces: readonly ShardTrace[], intervalMs: number, sustainableRate: number, fromStep: number): SimulationSummary {
  let maxDelay = 0;
  let recovery: number | null = 0;
  let overshoot = 0;
  let dropped = 0;
  let finalBacklog = 0;
  let processed = 0;
  for (const t of traces) {
    maxDelay = Math.max(maxDelay, ...t.delayMs);
    const r = recoveryOf(t.delayMs, intervalMs, fromStep);
    recovery = recovery === null || r === null ? null : Math.max(recovery, r);
    overshoot = Math.max(overshoot, overshootOf(t, intervalMs, sustainableRate, fromStep));
    const backlog = t.backlog.at(-1) ?? 0;
    dropped += t.arrived - t.admittedTotal - backlog;
    finalBacklog += backlog;
    processed += t.admittedTotal;
  }
  return {
    maxSchedulingDelayMs: maxDelay,
    recoveryBatches: recovery,
    overshootPct: overshoot,
    droppedRecords: dropped,
    finalBacklog,
    processedRecords: processed,
  };
}

function recoveryOf(delayMs: readonly number[], intervalMs: number, fromStep: number): number | null {
  let lastOver = -1;
  for (let k = fromStep; k < delayMs.length; k++) if (delayMs[k]! >= intervalMs) lastOver = k;
  if (lastOver === -1) return 0;
  return lastOver === delayMs.length - 1 ? null : lastOver - fromStep + 1;
}

function overshootOf(t: ShardTrace, intervalMs: number, sustainableRate: number, fromStep: number): number {
  let worst = 0;
  for (let k = fromStep; k < t.rate.length; k++) {
    // While records are deferred the limit is what admits; otherwise what was admitted is.
    const effective = t.backlog[k]! > 0 ? t.rate[k]! : (t.admitted[k]! * 1000) / intervalMs;
    worst = Math.max(worst, ((effective - sustainableRate) / sustainableRate) * 100);
  }
  return worst;
}
