import { ConfigError } from '../core/errors';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads a point in time as the CLI takes it: epoch milliseconds (`1767225600000`), ISO 8601
 * (`2026-01-01T00:00:00Z`), or relative to `nowMs` (`-15m`, `-2h`, `-1d`, `-30s`).
 *
 * @throws ConfigError naming `flag`, the value and the accepted forms
 */
export function parseTime(flag: string, value: string, nowMs: number): number {
  if (/^\d+$/.test(value)) return Number(value);
  const relative = /^-(\d+(?:\.\d+)?)([smhd])$/.exec(value);
  if (relative) return nowMs - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new ConfigError(flag, `not a time (given ${JSON.stringify(value)}): use ISO 8601 (2026-05-01T12:00:00Z), epoch ms, or -15m / -2h / -1d`);
  return ms;
}
