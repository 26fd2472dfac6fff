import { CorruptDataError } from '../errors';

/**
 * The origin of a chunk sent across an exchange: which shard of the sending stage sent it, in
 * which of its batches, and where it stands among the chunks that batch sent to this partition.
 * A batch re-run (a crash, a zombie) sends byte-identical chunks: batch boundaries come from the
 * sender's WAL and the computation is deterministic (docs/decisions/0015).
 */
export interface ChunkOrigin {
  /** The sending shard (its id in the sending stage). */
  readonly origin: string;
  /** The sender's batch number, from 1. */
  readonly batchNo: number;
  /** This chunk's index among the `count` chunks the batch sent to this partition. */
  readonly index: number;
  /** How many chunks the batch sent to this partition (≥ 1: a batch with nothing to send sends one empty chunk when time flows). */
  readonly count: number;
  /** The sender's time progress as of the end of its batch (see docs/decisions/0015), or null when it has none yet. */
  readonly watermarkMs: number | null;
  /** The origin's last batch: its input ended (a finite source drained, a closed shard). */
  readonly end?: boolean;
  /**
   * With `end`, for a closed shard: the shards that took over its hash range (a split's two, a
   * merge's one). They are origins from then on, and hold windows back until they send.
   */
  readonly children?: readonly string[];
  /**
   * For an event-time window after the exchange: the greatest event time the origin has sent (to
   * any partition) as of the end of this batch, or null before any. Absent otherwise.
   */
  readonly eventMs?: number | null;
  /** The partition the chunk was sent to, and how many the exchange has (absent in chunks of older senders). */
  readonly partition?: readonly [index: number, partitions: number];
}

/**
 * What a receiving partition remembers of one origin, committed with its state in the same fenced
 * write: the last batch of which every chunk was applied, the time it brought, and the chunks seen
 * of the batch in progress.
 */
export interface OriginMark {
  /** Last batch of the origin whose every chunk was applied (0: none). */
  readonly complete: number;
  /** Time progress of the origin as of batch `complete`; null before any. */
  readonly watermarkMs: number | null;
  /** The batch in progress: chunks of it already applied. */
  readonly current?: {
    readonly batchNo: number;
    readonly count: number;
    readonly seen: readonly number[];
    readonly watermarkMs: number | null;
    readonly end?: boolean;
    readonly children?: readonly string[];
    readonly eventMs?: number | null;
  };
  /** The origin's last complete batch was its end marker: it holds no window back until it sends again. */
  readonly ended?: boolean;
  /**
   * Event-time progress (an event-time window after the exchange): `[arrival progress, greatest
   * event time sent]` of complete batches, oldest first; those every origin has passed are folded
   * into one by {@link eventInputWatermark}.
   */
  readonly events?: ReadonlyArray<readonly [arrivalMs: number, eventMs: number]>;
}

/** Most entries of an origin's `events`; past it, two are folded into one, which only delays windows. */
export const EVENT_HISTORY_LIMIT = 32;

/** Per-origin marks of one receiving partition. */
export type ReceiverState = Readonly<Record<string, OriginMark>>;

/** The outcome of {@link receiveChunks}: which chunks to apply, and the marks to commit with them. */
export interface Received {
  /** `accept[i]`: chunk `i` is new and must be applied; false: it was applied before (a duplicate). */
  readonly accept: boolean[];
  readonly state: ReceiverState;
  /** Chunks dropped as duplicates. */
  readonly duplicates: number;
}

/**
 * The receiver's half of exactly-once across an exchange, a pure function of the committed marks
 * and the batch's chunks, so a re-run of the receiving batch decides the same.
 *
 * The sender commits batch k only after every chunk of k was acknowledged, so every chunk of k is
 * in the partition's log before any chunk of k+1 of the same origin — except a zombie's re-put of
 * an older batch, which is byte-identical to what was already sent. Within a batch, retried puts
 * may land in any order. Hence, per origin: a chunk of a batch at or below the last complete one,
 * or below the batch in progress, is a duplicate; a chunk of the batch in progress is a duplicate
 * when its index was seen; a chunk of a newer batch starts it. A newer batch arriving while one is
 * incomplete means chunks were lost or a sender is not deterministic: that is refused, loudly,
 * rather than applied half.
 */
export function receiveChunks(state: ReceiverState, chunks: readonly ChunkOrigin[]): Received {
  const marks = new Map<string, OriginMark>(Object.entries(state));
  const accept = new Array<boolean>(chunks.length);
  let duplicates = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    checkChunk(c);
    const mark = marks.get(c.origin) ?? { complete: 0, watermarkMs: null };
    const current = mark.current;
    let next: OriginMark | undefined;
    if (c.batchNo <= mark.complete || (current !== undefined && c.batchNo < current.batchNo)) {
      next = undefined;
    } else if (current !== undefined && c.batchNo === current.batchNo) {
      if (c.count !== current.count)
        throw new CorruptDataError(
          `exchange origin ${c.origin}`,
          `batch ${c.batchNo} sent ${current.count} chunks, and now says ${c.count}: the sender is not deterministic`,
        );
      next = current.seen.includes(c.index) ? undefined : withSeen(mark, current, c);
    } else {
      if (current !== undefined) {
        throw new CorruptDataError(
          `exchange origin ${c.origin}`,
          `batch ${c.batchNo} arrived while batch ${current.batchNo} had ${current.seen.length} of ${current.count} chunks: chunks were lost or the sender is not deterministic`,
        );
      }
      next = withSeen(
        mark,
        {
          batchNo: c.batchNo,
          count: c.count,
          seen: [],
          watermarkMs: c.watermarkMs,
          ...(c.end === true ? { end: true } : {}),
          ...(c.end === true && c.children !== undefined ? { children: c.children } : {}),
          ...(c.eventMs === undefined ? {} : { eventMs: c.eventMs }),
        },
        c,
      );
    }
    if (next === undefined) {
      accept[i] = false;
      duplicates++;
    } else {
      accept[i] = true;
      marks.set(c.origin, next);
      // A closed shard's end names its children: they hold windows back from now until they send,
      // since what they hold may have arrived before the other origins' progress (docs/decisions/0015).
      const ending = current?.batchNo === c.batchNo ? current : c;
      if (next.ended === true && next.complete === c.batchNo) {
        for (const child of ending.children ?? []) if (!marks.has(child)) marks.set(child, { complete: 0, watermarkMs: null });
      }
    }
  }
  return { accept, state: Object.fromEntries(marks), duplicates };
}

/**
 * The time every origin in `origins` has reached: the least of their complete batches' progress,
 * ended origins left out (Infinity when all ended). Undefined while one of them has none: a window after the exchange closes only once every origin
 * that feeds it has passed its end, as it would on a single-shard stream.
 */
export function inputWatermark(state: ReceiverState, origins: readonly string[]): number | undefined {
  let min: number | undefined;
  let open = 0;
  for (const o of origins) {
    if (state[o]?.ended === true) continue;
    open++;
    const w = state[o]?.watermarkMs;
    if (w === null || w === undefined) return undefined;
    if (min === undefined || w < min) min = w;
  }
  // Every origin ended: nothing more will come, every window may close.
  return open === 0 && origins.length > 0 ? Infinity : min;
}

function withSeen(mark: OriginMark, current: NonNullable<OriginMark['current']>, c: ChunkOrigin): OriginMark {
  const seen = [...current.seen, c.index].sort((a, b) => a - b);
  if (seen.length === current.count) {
    const w = maxOrNull(mark.watermarkMs, current.watermarkMs);
    const events = withEvent(mark.events, w, current.eventMs);
    // Ended as long as its last batch is an end marker: a source that grows again (a file appended to
    // between runs) starts a new batch, and holds windows back again from its first chunk.
    return { complete: current.batchNo, watermarkMs: w, ...(current.end === true ? { ended: true } : {}), ...(events === undefined ? {} : { events }) };
  }
  return {
    complete: mark.complete,
    watermarkMs: mark.watermarkMs,
    current: { ...current, seen },
    ...(mark.events === undefined ? {} : { events: mark.events }),
  };
}

function withEvent(events: OriginMark['events'], arrivalMs: number | null, eventMs: number | null | undefined): OriginMark['events'] {
  if (arrivalMs === null || eventMs === undefined || eventMs === null) return events;
  const last = events?.[events.length - 1];
  // An entry with no greater event time and a later arrival says nothing the last one did not.
  if (last !== undefined && last[1] >= eventMs) return events;
  const next = [...(events ?? []), [arrivalMs, eventMs] as const];
  if (next.length > EVENT_HISTORY_LIMIT) {
    // Fold the two neighbours closest in event time into [the later arrival, the earlier event time]:
    // it claims less than both did, so it is safe, and it costs the least precision.
    let at = 0;
    for (let i = 1; i < next.length - 1; i++) if (next[i + 1]![1] - next[i]![1] <= next[at + 1]![1] - next[at]![1]) at = i;
    next.splice(at, 2, [next[at + 1]![0], next[at]![1]]);
  }
  return next;
}

/**
 * The event time every origin has passed, for an event-time window after the exchange, and the
 * marks with the history it no longer needs folded.
 *
 * Let A be the arrival time every origin has reached ({@link inputWatermark}). Every record not yet
 * received, from any origin, arrives at or after A; every record that arrived before A was read and
 * sent in a complete batch. So the greatest event time among records that arrived before A — the
 * latest `events` entry below A of each origin, the most of them — is one that a single-shard stream
 * would already have seen before any record still to come. Data within the window's
 * `maxOutOfOrdernessMs` of what came before it is then never late, as on one shard: the window
 * subtracts `maxOutOfOrdernessMs` from this. An idle origin sends no event time, but its ticks move
 * its arrival time, so it holds A back only as long as its ticks lag, never forever. Undefined
 * while no event time is known below A; Infinity once every origin ended.
 */
export function eventInputWatermark(state: ReceiverState, origins: readonly string[]): { watermarkMs: number | undefined; state: ReceiverState } {
  const arrivalMs = inputWatermark(state, origins);
  if (arrivalMs === undefined || arrivalMs === Infinity) return { watermarkMs: arrivalMs, state };
  let max = -Infinity;
  const folded: Record<string, OriginMark> = { ...state };
  for (const o of origins) {
    const mark = state[o];
    if (mark?.events === undefined) continue;
    // An ended origin's late entries too: what it read after A arrived after records still to come.
    const passed = mark.events.filter(([a]) => a < arrivalMs);
    if (passed.length === 0) continue;
    const latest = passed[passed.length - 1]!;
    if (latest[1] > max) max = latest[1];
    if (passed.length > 1) folded[o] = { ...mark, events: [latest, ...mark.events.slice(passed.length)] };
  }
  return { watermarkMs: max === -Infinity ? undefined : max, state: folded };
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

function checkChunk(c: ChunkOrigin): void {
  const ok =
    typeof c.origin === 'string' &&
    Number.isSafeInteger(c.batchNo) &&
    c.batchNo >= 1 &&
    Number.isSafeInteger(c.count) &&
    c.count >= 1 &&
    Number.isSafeInteger(c.index) &&
    c.index >= 0 &&
    c.index < c.count &&
    (c.watermarkMs === null || Number.isFinite(c.watermarkMs)) &&
    (c.children === undefined || (Array.isArray(c.children) && c.children.every((x) => typeof x === 'string' && x !== c.origin)));
  if (!ok) throw new CorruptDataError('exchange chunk', `invalid origin ${JSON.stringify(c)}`);
}
