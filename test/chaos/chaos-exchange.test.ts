import { describe, expect, it } from 'vitest';
import { runExchangeChaos } from './two-stage/run-exchange-schedule';

/** The CI share of `npm run chaos -- --exchange`; the full run (1000 schedules) is in docs/chaos.md. */
const SCHEDULES = 100;

describe('chaos schedules, a pipeline with exchanges (memory)', () => {
  it(`counts every record exactly once across two exchanges, and emits the whole input's windows, over ${SCHEDULES} fault schedules`, async () => {
    const seed = Number(process.env.SLUICE_CHAOS_SEED ?? 20_261_202);
    const summary = await runExchangeChaos(
      seed,
      Array.from({ length: SCHEDULES }, (_, i) => i),
    );
    const report = summary.describe();
    expect(
      summary.failed.map((f) => f.violations),
      report,
    ).toEqual([]);
    expect([summary.lost, summary.duplicated], report).toEqual([0, 0]);
    // The run proves something only if every kind of fault happened, many times.
    expect(summary.crashes, report).toBeGreaterThan(500);
    expect(summary.duplicatePuts, report).toBeGreaterThan(500);
    expect(summary.zombiePuts, report).toBeGreaterThan(500);
    expect(summary.concurrent, report).toBeGreaterThan(200);
  }, 300_000);
});
