/**
 * The rate a producer may send at, records per second: the sum over the stream's open shards of
 * the rate each shard's processor enforces, `min(maxRatePerShard, published rate)`.
 *
 * A shard without any limit (no rate published yet, e.g. a child just after a split) is counted
 * at the mean of the limited ones — the best estimate of what a shard of this app can take —
 * rather than as unlimited, which would switch backpressure off, or as zero, which would stall.
 * With no limited shard at all the result is `Infinity`: nothing to throttle to.
 */
export function totalRate(publishedPerShard: readonly (number | undefined)[], maxRatePerShard?: number): number {
  const cap = maxRatePerShard ?? Number.POSITIVE_INFINITY;
  const limits = publishedPerShard.map((rate) => Math.min(cap, rate !== undefined && rate > 0 ? rate : Number.POSITIVE_INFINITY));
  const finite = limits.filter((limit) => Number.isFinite(limit));
  if (finite.length === 0) return Number.POSITIVE_INFINITY;
  const sum = finite.reduce((a, b) => a + b, 0);
  return sum + (limits.length - finite.length) * (sum / finite.length);
}
