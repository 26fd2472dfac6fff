import { describe, expect, inject, it } from 'vitest';
import { FAULT_KINDS } from '../helpers/faults/fault-plan';
import { endpointBackend } from './chaos-backend';
import { runChaos } from './run-chaos';
import { SMALL_SCHEDULE_SIZE } from './schedule-config';

/** Small schedules: every port call is an HTTP round trip to moto_server. */
const SCHEDULES = 16;

describe('chaos schedules (DynamoDB + S3 on moto)', () => {
  it(`counts every record exactly once through the AWS adapters over ${SCHEDULES} schedules, lost responses included`, async () => {
    // Prepare
    const seed = Number(process.env.SLUICE_CHAOS_SEED ?? 20_261_201);
    const backend = await endpointBackend(inject('awsEndpoint'), `ci${Date.now().toString(36)}`, seed);
    // Act
    let summary;
    try {
      summary = await runChaos({ backend, seed, indexes: Array.from({ length: SCHEDULES }, (_, i) => i), size: SMALL_SCHEDULE_SIZE });
    } finally {
      await backend.close();
    }
    // Assess
    const report = summary.describe(`seed ${seed}, ${backend.name}`);
    expect(summary.failed, report).toEqual([]);
    expect([summary.lost, summary.duplicated], report).toEqual([0, 0]);
    for (const kind of FAULT_KINDS) expect(summary.faults[kind], `${kind}\n${report}`).toBeGreaterThan(0);
    expect(summary.stateFaults, report).toBeGreaterThan(0);
  });
});
