import { CorruptDataError } from '../errors';
import type { PidState } from './rate-estimator';

/** Spark's initial values: no batch seen, every number at −1. */
export const INITIAL_PID_STATE: PidState = { firstRun: true, latestTimeMs: -1, latestRate: -1, latestError: -1 };

/**
 * Checks a PID state read back from storage. A wrong shape is data corruption, not a config error,
 * so it throws {@link CorruptDataError} under `key` rather than guessing a value.
 */
export function parsePidState(key: string, json: unknown): PidState {
  if (typeof json !== 'object' || json === null) throw new CorruptDataError(key, `PID state must be an object (given ${JSON.stringify(json)})`);
  const o = json as Record<string, unknown>;
  if (typeof o.firstRun !== 'boolean') throw new CorruptDataError(key, 'PID state needs a boolean firstRun');
  for (const field of ['latestTimeMs', 'latestRate', 'latestError'] as const) {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new CorruptDataError(key, `PID state needs a finite number ${field} (given ${JSON.stringify(v)})`);
  }
  return { firstRun: o.firstRun, latestTimeMs: o.latestTimeMs as number, latestRate: o.latestRate as number, latestError: o.latestError as number };
}
