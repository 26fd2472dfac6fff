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
  const kind = range.integer ? 'an integer' : 'a number';
  const { min, max } = range;
  if (min !== undefined && max !== undefined) return range.minExclusive ? `${kind} > ${min} and ≤ ${max}` : `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} ${range.minExclusive ? '>' : '≥'} ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}
