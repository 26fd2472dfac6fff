/**
 * Numbers as a person reads them in `sluice status`, the live view and the web UI: thousands
 * separators, at most one decimal, durations in ms below a second and in s (then min) above.
 */

/** A count: `12,345`; fractions rounded to one decimal at most (`812.3`), whole numbers stay whole. */
export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) >= 100 ? 0 : 1 });
}

/**
 * A duration: `0 ms`, `42 ms`, `8.8 s`, `2 min 5 s`, `3 h 10 min`. Below a second, whole
 * milliseconds; below a minute, seconds with one decimal.
 */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(ms).toLocaleString('en-US')} ms`;
  if (abs < 60_000) return `${(ms / 1000).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} s`;
  const totalSeconds = Math.round(abs / 1000);
  const sign = ms < 0 ? '-' : '';
  if (totalSeconds < 3_600) return `${sign}${Math.floor(totalSeconds / 60)} min ${totalSeconds % 60} s`;
  const minutes = Math.round(totalSeconds / 60);
  return `${sign}${Math.floor(minutes / 60).toLocaleString('en-US')} h ${minutes % 60} min`;
}

/** How long ago `atMs` was, from `nowMs`: `3.2 s ago`; `never` when it never happened. */
export function formatAgo(atMs: number | undefined, nowMs: number, never = 'never'): string {
  return atMs === undefined ? never : `${formatDuration(Math.max(0, nowMs - atMs))} ago`;
}

/** A rate in records per second: `1,234/s`. */
export function formatRate(perSecond: number | undefined): string {
  return perSecond === undefined || !Number.isFinite(perSecond) ? '-' : `${formatCount(perSecond)}/s`;
}
