/** Waiting records in arrival order, as runs of equal arrival time; a head index keeps takes O(1). */
export class ArrivalQueue {
  private readonly counts: number[] = [];
  private readonly times: number[] = [];
  private head = 0;

  /** Appends `count` records that arrived at `arrivalMs` (not earlier than the previous push). */
  push(count: number, arrivalMs: number): void {
    this.counts.push(count);
    this.times.push(arrivalMs);
  }

  /** Arrival time of the oldest waiting record, or `undefined` when none waits. */
  firstArrivalMs(): number | undefined {
    return this.head < this.times.length ? this.times[this.head] : undefined;
  }

  /** Removes the `n` oldest records; `n` must not exceed what waits. */
  take(n: number): void {
    let left = n;
    while (left > 0) {
      const count = this.counts[this.head]!;
      if (count <= left) {
        left -= count;
        this.head++;
      } else {
        this.counts[this.head] = count - left;
        left = 0;
      }
    }
  }
}
