import { CorruptDataError } from '../errors';
import type { OperatorState } from '../state/operator-state';

/**
 * The key under which a window or event-time operator keeps its clock in its own state. `encodeKey`
 * never yields `\u0001` alone (it is `\u0001` followed by JSON), so no user key can collide with it,
 * and the clock is committed atomically with the data it governs.
 */
export const META_KEY = '\u0001';

/** A time-aware operator's progress, persisted per shard with its state. */
export interface OperatorMeta {
  /** Largest time seen minus the allowed out-of-orderness; `null` before the first record. */
  watermarkMs: number | null;
  /** End of the last window emitted; `null` before the first. */
  lastEndMs: number | null;
  /** Counter naming the element chunks of `window`, so their order survives a reload. */
  seq: number;
  /**
   * Windows only: starts of the panes holding data of which some window is not emitted yet,
   * ascending. Kept so that when an idle tick is due reads a few numbers, not the whole state.
   * Absent before the operator's first batch, and for `mapWithState`.
   */
  openPanes?: readonly number[];
}

/** Reads the operator's clock, or a fresh one when it has none yet. */
export function readMeta(state: OperatorState): OperatorMeta {
  const entry = state.get(META_KEY);
  if (entry === undefined) return { watermarkMs: null, lastEndMs: null, seq: 0 };
  const v = entry.value as Partial<OperatorMeta> | null;
  if (
    v === null ||
    typeof v !== 'object' ||
    typeof v.seq !== 'number' ||
    !nullableNumber(v.watermarkMs) ||
    !nullableNumber(v.lastEndMs) ||
    !optionalNumbers(v.openPanes)
  ) {
    throw new CorruptDataError('operator meta', `expected {watermarkMs, lastEndMs, seq, openPanes?}, found ${JSON.stringify(v)}`);
  }
  return { watermarkMs: v.watermarkMs, lastEndMs: v.lastEndMs, seq: v.seq, ...(v.openPanes === undefined ? {} : { openPanes: v.openPanes }) };
}

/** Stores the clock when it changed (an unchanged clock stays out of the batch's delta). */
export function writeMeta(state: OperatorState, before: OperatorMeta, after: OperatorMeta, batchTimeMs: number): void {
  if (
    before.watermarkMs === after.watermarkMs &&
    before.lastEndMs === after.lastEndMs &&
    before.seq === after.seq &&
    sameNumbers(before.openPanes, after.openPanes)
  )
    return;
  const value: OperatorMeta = {
    watermarkMs: after.watermarkMs,
    lastEndMs: after.lastEndMs,
    seq: after.seq,
    ...(after.openPanes === undefined ? {} : { openPanes: after.openPanes }),
  };
  state.set(META_KEY, { value, updatedAtMs: batchTimeMs });
}

/** Raises a watermark to `maxTimeMs - maxOutOfOrdernessMs`; it never goes back. */
export function advanceWatermark(watermarkMs: number | null, maxTimeMs: number, maxOutOfOrdernessMs: number): number | null {
  if (maxTimeMs === -Infinity) return watermarkMs;
  const candidate = maxTimeMs - maxOutOfOrdernessMs;
  return watermarkMs === null || candidate > watermarkMs ? candidate : watermarkMs;
}

function optionalNumbers(x: unknown): x is readonly number[] | undefined {
  return x === undefined || (Array.isArray(x) && x.every((n) => typeof n === 'number'));
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((n, i) => n === b[i]));
}

function nullableNumber(x: unknown): x is number | null {
  return x === null || typeof x === 'number';
}
