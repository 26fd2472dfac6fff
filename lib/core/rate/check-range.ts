import { ConfigError } from '../errors';

/** The range a numeric option must fall in; bounds are inclusive unless marked exclusive. */
export interface Range {
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly integer?: boolean;
}

/**
 * Returns `value` when it is a number inside `range`, otherwise throws a {@link ConfigError} that
 * names the field, the allowed range and the value given (NaN never passes).
 */
export function checkRange(field: string, value: number, range: Range): number {
  const lowOk = range.min === undefined || (range.minExclusive ? value > range.min : value >= range.min);
  const highOk = range.max === undefined || value <= range.max;
  const intOk = !range.integer || Number.isInteger(value);
  if (typeof value === 'number' && !Number.isNaN(value) && lowOk && highOk && intOk) return value;
  throw new ConfigError(field, `must be ${describe(range)} (given ${String(value)})`);
}

function describe(range: Range): string {
  const parts: string[] = [];
  if (range.integer) parts.push('an integer');
  else parts.push('a number');
  if (range.min !== undefined) parts.push(`${range.minExclusive ? '>' : '≥'} ${range.min}`);
  if (range.max !== undefined) parts.push(`≤ ${range.max}`);
  return parts.join(' ');
}
