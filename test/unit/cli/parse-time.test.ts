import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/core/errors';
import { parseTime } from '../../../lib/cli/parse-time';

const NOW = Date.parse('2026-05-01T12:00:00Z');

describe('parseTime', () => {
  it.each([
    ['1767225600000', 1_767_225_600_000],
    ['2026-05-01T11:00:00Z', NOW - 3_600_000],
    ['2026-05-01', Date.parse('2026-05-01')],
    ['-15m', NOW - 900_000],
    ['-2h', NOW - 7_200_000],
    ['-1d', NOW - 86_400_000],
    ['-30s', NOW - 30_000],
  ])('reads %s', (value, expected) => {
    expect(parseTime('--from', value, NOW)).toBe(expected);
  });

  it.each(['yesterday', '15m', '-1w', '2026-13-45T00:00:00Z', ''])('rejects %j, naming the flag', (value) => {
    expect(() => parseTime('--from', value, NOW)).toThrow(ConfigError);
    expect(() => parseTime('--from', value, NOW)).toThrow(/^--from: not a time/);
  });
});
