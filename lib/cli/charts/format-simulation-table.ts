import type { SimulationResult } from '../../core/sim/simulator';

const HEADERS = ['controller', 'max delay ms', 'recovery batches', 'overshoot %', 'dropped', 'final backlog', 'processed'] as const;

/**
 * The summary of a simulation as an aligned plain-text table, one row per controller, the way
 * `sluice simulate` prints it and the rate-control ADR quotes it. `never` means the delay was
 * still over one batch interval at the end; `∞` an unlimited controller that deferred records.
 */
export function formatSimulationTable(result: SimulationResult): string {
  const rows = result.runs.map((run) => {
    const s = run.summary;
    return [
      run.controller,
      String(Math.round(s.maxSchedulingDelayMs)),
      s.recoveryBatches === null ? 'never' : String(s.recoveryBatches),
      Number.isFinite(s.overshootPct) ? s.overshootPct.toFixed(1) : '∞',
      String(s.droppedRecords),
      String(s.finalBacklog),
      String(s.processedRecords),
    ];
  });
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(HEADERS), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
