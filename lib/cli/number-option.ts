import { z } from 'zod';

/**
 * zod schemas of numeric CLI options (the value comes as a string) whose one message states the
 * whole rule, with the option's unit and its real bounds: whatever is wrong with the value (not a
 * number, not whole, out of range, beyond what a double holds exactly), the user reads the same rule.
 */
export const numberOption = {
  /** A whole number from `min` to `max`, e.g. "must be a whole number of records per second from 1 to 100,000,000". */
  whole(min: number, max: number, unit: string) {
    const rule = `must be a whole number of ${unit} from ${fmt(min)} to ${fmt(max)}`;
    return z.coerce.number({ error: rule }).int(rule).min(min, rule).max(max, rule);
  },
  /** A number above 0 and at most `max`, e.g. "must be a number of seconds above 0 and at most 31,536,000". */
  positive(max: number, unit: string) {
    const rule = `must be a number of ${unit} above 0 and at most ${fmt(max)}`;
    return z.coerce.number({ error: rule }).positive(rule).max(max, rule);
  },
};

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
