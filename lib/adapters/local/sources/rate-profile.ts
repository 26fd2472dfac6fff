import { z } from 'zod';

/**
 * How fast the generator makes records available, in records per second: a constant rate, or a
 * constant rate with one burst of `factor` times the rate — the load step that shows the PID at work.
 */
export type RateProfile =
  | { readonly kind: 'steady'; readonly rate: number }
  | {
      readonly kind: 'spike';
      readonly rate: number;
      /** Start of the burst, ms after the generator's first read. */
      readonly spikeAtMs: number;
      readonly spikeDurationMs: number;
      /** Burst rate divided by the base rate. */
      readonly factor: number;
    };

/** Validates a profile at the edge; rates must be positive so every record eventually arrives. */
export const rateProfileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('steady'), rate: z.number().positive().finite() }),
  z.object({
    kind: z.literal('spike'),
    rate: z.number().positive().finite(),
    spikeAtMs: z.number().nonnegative().finite(),
    spikeDurationMs: z.number().nonnegative().finite(),
    factor: z.number().positive().finite(),
  }),
]);

interface Segment {
  readonly startMs: number;
  readonly perMs: number;
  /** Records made available before this segment starts. */
  readonly recordsBefore: number;
}

/**
 * The profile as a piecewise-linear count of records over time, so that both directions — records
 * available at time t, and the time record k arrives — are exact closed forms, never simulations.
 */
export class RateSchedule {
  private readonly segments: readonly Segment[];

  constructor(profile: RateProfile) {
    const pieces: Array<[startMs: number, perSecond: number]> =
      profile.kind === 'steady'
        ? [[0, profile.rate]]
        : [
            [0, profile.rate],
            [profile.spikeAtMs, profile.rate * profile.factor],
            [profile.spikeAtMs + profile.spikeDurationMs, profile.rate],
          ];
    const segments: Segment[] = [];
    let recordsBefore = 0;
    for (const [startMs, perSecond] of pieces) {
      const previous = segments[segments.length - 1];
      if (previous) recordsBefore += previous.perMs * (startMs - previous.startMs);
      segments.push({ startMs, perMs: perSecond / 1000, recordsBefore });
    }
    this.segments = segments;
  }

  /**
   * Ms after the start at which the k-th record (1-based) is available, rounded up to a whole ms.
   * The tiny epsilon keeps 1000 records at 1000/s arriving at 1000 ms, not 1001 by float error.
   */
  arrivalOffsetMs(k: number): number {
    const segment = this.segmentFor((s) => s.recordsBefore < k);
    return Math.max(0, Math.ceil(segment.startMs + (k - segment.recordsBefore) / segment.perMs - 1e-6));
  }

  /** Number of records available `elapsedMs` after the start: the largest k whose arrival ≤ elapsed. */
  availableAt(elapsedMs: number): number {
    const segment = this.segmentFor((s) => s.startMs <= elapsedMs);
    let k = Math.floor(segment.recordsBefore + (elapsedMs - segment.startMs) * segment.perMs);
    // The closed form is exact up to float rounding; step to agree with arrivalOffsetMs exactly.
    while (this.arrivalOffsetMs(k + 1) <= elapsedMs) k++;
    while (k > 0 && this.arrivalOffsetMs(k) > elapsedMs) k--;
    return k;
  }

  private segmentFor(belongs: (segment: Segment) => boolean): Segment {
    let found = this.segments[0]!;
    for (const segment of this.segments) if (belongs(segment)) found = segment;
    return found;
  }
}
