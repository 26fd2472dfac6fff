import type { EventTimeFn } from '../pipeline/op-spec';

/**
 * The time of an element for a window or an event-time timeout: `eventTime(x, arrivalMs)` when the
 * operator has one, else the arrival time. Throws on a time that is not a finite number, so the
 * element is quarantined rather than filed under a window no one can compute.
 */
export function timeOf(eventTime: EventTimeFn | undefined, x: unknown, arrivalMs: number): number {
  if (eventTime === undefined) return arrivalMs;
  const t = eventTime(x, arrivalMs);
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new TypeError(`eventTime must return a finite number of milliseconds, got ${String(t)}`);
  return t;
}
