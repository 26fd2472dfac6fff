import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../helpers/faults/fault-plan';
import { memoryBackend } from './chaos-backend';
import { runChaos } from './run-chaos';
import { DEFAULT_SCHEDULE_SIZE } from './schedule-config';

/** The CI share of `npm run chaos`; the full run (1000 schedules) is in docs/chaos.md. */
const SCHEDULES = 300;

describe('chaos schedules (memory)', () => {
  it(`counts every record exactly once, or quarantines it once, over ${SCHEDULES} random fault schedules`, async () => {
    // Prepare
    const seed = Number(process.env.SLUICE_CHAOS_SEED ?? 20_261_201);
    // Act
    const summary = await runChaos({ backend: memoryBackend(), seed, indexes: Array.from({ length: SCHEDULES }, (_, i) => i), size: DEFAULT_SCHEDULE_SIZE });
    // Assess
    const report = summary.describe(`seed ${seed}, memory`);
    expect(summary.failed, report).toEqual([]);
    expect([summary.lost, summary.duplicated], report).toEqual([0, 0]);
    // The run proves something only if every kind of fault happened, many times.
    for (const kind of FAULT_KINDS.filter((k) => k !== 'lost-response')) expect(summary.faults[kind], `${kind}\n${report}`).toBeGreaterThan(50);
    expect(summary.batchQuarantines, report).toBeGreaterThan(0);
    expect(summary.stateFaults, report).toBeGreaterThan(100);
  });
});
