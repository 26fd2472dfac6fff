/**
 * The `k` items with the highest `score`, highest first, like Spark's `rdd.top(k)`: one pass with a
 * bounded sorted buffer (O(n log k)), instead of sorting everything. Among equal scores the earlier
 * item wins, so the result is deterministic for a deterministic input order.
 *
 * @example
 * stream.transform((totals) => topK(totals, 10, ([, count]) => count)).print(10)
 */
export function topK<T>(items: Iterable<T>, k: number, score: (item: T) => number): T[] {
  const top: T[] = [];
  const scores: number[] = [];
  if (k <= 0) return top;
  for (const item of items) {
    const s = score(item);
    if (top.length === k && !(s > scores[k - 1]!)) continue;
    // Binary search for the first position with a lower score (ties stay in arrival order).
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (scores[mid]! >= s) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, item);
    scores.splice(lo, 0, s);
    if (top.length > k) {
      top.pop();
      scores.pop();
    }
  }
  return top;
}
