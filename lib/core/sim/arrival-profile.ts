/** The shapes of load the simulator can apply, per shard, in records per second. */
export const PROFILE_KINDS = ['steady', 'spike', 'ramp', 'sine'] as const;

/** One of {@link PROFILE_KINDS}. */
export type ProfileKind = (typeof PROFILE_KINDS)[number];

/**
 * An arrival profile. `steady`: `baseRatePerShard` throughout. `spike`: `factor ×` the base from
 * `startSeconds` for `lengthSeconds`, then back. `ramp`: climbs linearly to `factor ×` over the
 * stretch and stays there. `sine`: swings between the base and `factor ×` with period `lengthSeconds`.
 */
export interface ArrivalProfile {
  readonly kind: ProfileKind;
  readonly baseRatePerShard: number;
  readonly factor: number;
  readonly startSeconds: number;
  readonly lengthSeconds: number;
}

/** Arrival rate (records/s, one shard) at `tMs` since the start of the run. */
export function arrivalRateAt(profile: ArrivalProfile, tMs: number): number {
  const { baseRatePerShard: base, factor } = profile;
  const startMs = profile.startSeconds * 1000;
  const lengthMs = profile.lengthSeconds * 1000;
  switch (profile.kind) {
    case 'steady':
      return base;
    case 'spike':
      return tMs >= startMs && tMs < startMs + lengthMs ? base * factor : base;
    case 'ramp': {
      const progress = Math.min(1, Math.max(0, (tMs - startMs) / lengthMs));
      return base * (1 + (factor - 1) * progress);
    }
    case 'sine':
      return base * (1 + ((factor - 1) * (1 - Math.cos((2 * Math.PI * tMs) / lengthMs))) / 2);
  }
}

/** When the disturbance the summary measures begins: the spike or ramp start, else the run start. */
export function disturbanceStartMs(profile: ArrivalProfile): number {
  return profile.kind === 'spike' || profile.kind === 'ramp' ? profile.startSeconds * 1000 : 0;
}

/**
 * Whole records arriving in each tick `(i·tick, (i+1)·tick]`, from the cumulative integral of the
 * rate (midpoint rule) rounded down, so fractions carry over and nothing is lost to rounding.
 */
export function arrivalsPerTick(profile: ArrivalProfile, tickMs: number, ticks: number): Int32Array {
  const out = new Int32Array(ticks);
  let cumulative = 0;
  let emitted = 0;
  for (let i = 0; i < ticks; i++) {
    cumulative += (arrivalRateAt(profile, (i + 0.5) * tickMs) * tickMs) / 1000;
    const whole = Math.floor(cumulative + 1e-9);
    out[i] = whole - emitted;
    emitted = whole;
  }
  return out;
}
