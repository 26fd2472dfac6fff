import type { MapWithStateOp, OpSpec, WindowOp } from '../../lib/core/pipeline/op-spec';
import type { Stream } from '../../lib/core/pipeline/stream';
import { encodeKey, decodeKey } from '../../lib/core/state/key-codec';
import { EMPTY_WINDOWS_LIMIT } from '../../lib/core/window/window-ends-to-emit';

/**
 * State of the reference evaluator, per stateful operator: for `updateStateByKey` and
 * `mapWithState` encoded key → [value, updatedAtMs]; for windows a {@link NaiveWindowState}.
 */
export type ReferenceState = Map<string, unknown>;

/** Every record a window accepted, with its time: windows are recomputed from them. */
interface NaiveWindowState {
  readonly records: Array<{ readonly t: number; readonly x: unknown }>;
  watermarkMs: number | null;
  lastEndMs: number | null;
}

/**
 * Runs a pipeline one stage at a time, materializing every intermediate array: the obviously
 * correct (and slow) semantics the fused engine must match. Exists only for tests.
 *
 * Windows are recomputed from every record they accepted and keep keys sorted by encoded key (the
 * engine keeps its state order: compare those outputs sorted). `arrivalsMs[i]` is the arrival of
 * `elements[i]` (default: the batch time); past a barrier, elements arrive at the batch time.
 */
export function evaluateNaively(
  stream: Stream<unknown>,
  elements: readonly unknown[],
  state: ReferenceState,
  batchTimeMs: number,
  arrivalsMs?: readonly number[],
): { outputs: Array<{ id: string; items: unknown[] }> } {
  let data: unknown[] = [...elements];
  let arrivals: number[] = elements.map((_, i) => arrivalsMs?.[i] ?? batchTimeMs);
  const outputs: Array<{ id: string; items: unknown[] }> = [];
  for (const op of stream.ops as OpSpec[]) {
    switch (op.kind) {
      case 'map':
        data = data.map(op.fn);
        break;
      case 'filter': {
        const keep = data.map(op.fn);
        data = data.filter((_, i) => keep[i]);
        arrivals = arrivals.filter((_, i) => keep[i]);
        break;
      }
      case 'flatMap': {
        const parts = data.map((x) => [...op.fn(x)]);
        data = parts.flat();
        arrivals = parts.flatMap((p, i) => p.map(() => arrivals[i]!));
        break;
      }
      case 'mapValues':
        data = data.map((x) => [(x as unknown[])[0], op.fn((x as unknown[])[1])]);
        break;
      case 'countByValue':
        data = groupBy(
          data.map((x) => [x, 1]),
          (a, b) => (a as number) + (b as number),
        );
        break;
      case 'reduceByKey':
        data = groupBy(data as unknown[], op.fn);
        break;
      case 'transform':
        data = op.fn(data);
        break;
      case 'updateStateByKey': {
        const st = keyedState(state, op.id);
        const grouped = new Map<string, unknown[]>();
        for (const pair of data as Array<[unknown, unknown]>) {
          const k = encodeKey(pair[0]);
          grouped.set(k, [...(grouped.get(k) ?? []), pair[1]]);
        }
        for (const [k, values] of grouped) {
          const next = op.update(values, st.get(k)?.[0]);
          if (next === undefined) st.delete(k);
          else st.set(k, [next, batchTimeMs]);
        }
        if (op.idleTimeoutMs !== undefined) for (const [k, [, at]] of [...st]) if (batchTimeMs - at >= op.idleTimeoutMs) st.delete(k);
        data = inStateOrder(st).map(([k, [v]]) => [decodeKey(k), v]);
        break;
      }
      case 'mapWithState':
        data = mapWithState(op, data as Array<[unknown, unknown]>, arrivals, keyedState(state, op.id), batchTimeMs);
        break;
      case 'window':
      case 'reduceByKeyAndWindow':
      case 'countByWindow': {
        const late: unknown[] = [];
        data = windowed(op, data, arrivals, windowState(state, op.id), late);
        if (late.length > 0) outputs.push({ id: op.late.id, items: late });
        break;
      }
      case 'print':
      case 'foreachBatch':
        outputs.push({ id: op.id, items: [...data] });
        break;
    }
    if (!['map', 'filter', 'flatMap', 'mapValues', 'print', 'foreachBatch'].includes(op.kind)) arrivals = data.map(() => batchTimeMs);
  }
  return { outputs };
}

/** Windows by definition: every closed window is filtered from all accepted records. */
function windowed(op: WindowOp, data: unknown[], arrivals: number[], st: NaiveWindowState, late: unknown[]): unknown[] {
  const { windowMs: w, slideMs: slide } = op;
  const close0 = st.watermarkMs === null ? null : st.watermarkMs - op.allowedLatenessMs;
  let maxT = -Infinity;
  data.forEach((x, i) => {
    const t = op.eventTime === undefined ? arrivals[i]! : op.eventTime(x, arrivals[i]!);
    // The last window holding t ends at the end of t's slide plus the window minus one slide.
    if (close0 !== null && Math.floor(t / slide) * slide + w <= close0) late.push({ value: x, timeMs: t, watermarkMs: st.watermarkMs });
    else {
      st.records.push({ t, x });
      maxT = Math.max(maxT, t);
    }
  });
  if (maxT > -Infinity && (st.watermarkMs === null || maxT - op.maxOutOfOrdernessMs > st.watermarkMs)) st.watermarkMs = maxT - op.maxOutOfOrdernessMs;
  if (st.watermarkMs === null) return [];
  const close = Math.floor((st.watermarkMs - op.allowedLatenessMs) / slide) * slide;
  const from = st.lastEndMs !== null ? st.lastEndMs + slide : Math.min(...st.records.map((r) => Math.floor(r.t / slide) * slide)) + slide;
  if (!(from <= close)) return [];
  const all: number[] = [];
  for (let e = from; e <= close && all.length <= EMPTY_WINDOWS_LIMIT; e += slide) all.push(e);
  const emitEmpty = all.length <= EMPTY_WINDOWS_LIMIT;
  const ends = emitEmpty
    ? all
    : [...new Set([...st.records.flatMap((r) => endsHolding(r.t, w, slide)).filter((e) => e >= from && e <= close), close])].sort((a, b) => a - b);
  st.lastEndMs = close;
  const out: unknown[] = [];
  for (const end of ends) {
    const inside = st.records.filter((r) => r.t >= end - w && r.t < end);
    if (inside.length === 0 && !emitEmpty) continue;
    // Oldest slide first, arrival order within a slide (sort is stable).
    const ordered = [...inside].sort((a, b) => Math.floor(a.t / slide) - Math.floor(b.t / slide));
    const value =
      op.kind === 'window'
        ? ordered.map((r) => r.x)
        : op.kind === 'countByWindow'
          ? inside.length
          : groupBy(
              ordered.map((r) => r.x),
              op.reduce,
            ).sort((a, b) => compare(encodeKey((a as unknown[])[0]), encodeKey((b as unknown[])[0])));
    out.push({ startMs: end - w, endMs: end, value });
  }
  return out;
}

function endsHolding(t: number, w: number, slide: number): number[] {
  const ends: number[] = [];
  for (let e = Math.floor(t / slide) * slide + slide; e <= Math.floor(t / slide) * slide + w; e += slide) ends.push(e);
  return ends;
}

/** Spark's mapWithState by definition: one call per value, then one per idle key. */
function mapWithState(
  op: MapWithStateOp,
  pairs: Array<[unknown, unknown]>,
  arrivals: number[],
  st: Map<string, [unknown, number]>,
  batchTimeMs: number,
): unknown[] {
  const out: unknown[] = [];
  const grouped = new Map<string, Array<{ v: unknown; t: number }>>();
  pairs.forEach((pair, i) => {
    const k = encodeKey(pair[0]);
    grouped.set(k, [...(grouped.get(k) ?? []), { v: pair[1], t: op.eventTime === undefined ? batchTimeMs : op.eventTime(pair, arrivals[i]!) }]);
  });
  let maxT = -Infinity;
  for (const [k, values] of grouped) {
    if (op.eventTime !== undefined) values.sort((a, b) => a.t - b.t);
    let current: { exists: boolean; value: unknown } = { exists: st.has(k), value: st.get(k)?.[0] };
    for (const { v, t } of values) {
      const handle = naiveHandle(current, false, t);
      const r = op.fn(decodeKey(k), v, handle.api);
      current = handle.result();
      if (r !== undefined) out.push(r);
    }
    const lastT = op.eventTime === undefined ? batchTimeMs : Math.max(st.get(k)?.[1] ?? -Infinity, ...values.map((x) => x.t));
    maxT = Math.max(maxT, ...values.map((x) => x.t));
    if (!current.exists) st.delete(k);
    else st.set(k, [current.value, lastT]);
  }
  let clock: number | null = batchTimeMs;
  if (op.eventTime !== undefined) {
    const prev = st.get('\u0001wm')?.[0] as number | null | undefined;
    const next =
      maxT === -Infinity ? (prev ?? null) : prev === undefined || prev === null ? maxT - op.maxOutOfOrdernessMs : Math.max(prev, maxT - op.maxOutOfOrdernessMs);
    st.delete('\u0001wm');
    clock = next;
    if (op.idleTimeoutMs !== undefined && clock !== null) timeOut(op, st, clock, out);
    st.set('\u0001wm', [next, 0]);
    return out;
  }
  if (op.idleTimeoutMs !== undefined) timeOut(op, st, clock, out);
  return out;
}

function timeOut(op: MapWithStateOp, st: Map<string, [unknown, number]>, clock: number, out: unknown[]): void {
  for (const [k, [v]] of inStateOrder(st).filter(([, [, at]]) => clock - at >= op.idleTimeoutMs!)) {
    const r = op.fn(decodeKey(k), undefined, naiveHandle({ exists: true, value: v }, true, clock).api);
    if (r !== undefined) out.push(r);
    st.delete(k);
  }
}

function naiveHandle(start: { exists: boolean; value: unknown }, timingOut: boolean, timeMs: number) {
  let cur = { ...start };
  const api = {
    exists: () => cur.exists,
    get: () => {
      if (!cur.exists) throw new TypeError('no state');
      return cur.value;
    },
    getOption: () => (cur.exists ? cur.value : undefined),
    update: (s: unknown) => {
      if (timingOut) throw new TypeError('timing out');
      cur = { exists: true, value: s };
    },
    remove: () => {
      cur = { exists: false, value: undefined };
    },
    isTimingOut: () => timingOut,
    timestampMs: () => timeMs,
  };
  return { api, result: () => cur };
}

/** The engine's documented order: insertion order, a key keeping its place while it exists (see OperatorState). */
function inStateOrder(st: Map<string, [unknown, number]>): Array<[string, [unknown, number]]> {
  return [...st].filter(([k]) => k !== '\u0001wm');
}

function keyedState(state: ReferenceState, id: string): Map<string, [unknown, number]> {
  if (!state.has(id)) state.set(id, new Map());
  return state.get(id) as Map<string, [unknown, number]>;
}

function windowState(state: ReferenceState, id: string): NaiveWindowState {
  if (!state.has(id)) state.set(id, { records: [], watermarkMs: null, lastEndMs: null } satisfies NaiveWindowState);
  return state.get(id) as NaiveWindowState;
}

function groupBy(pairs: unknown[], fn: (a: unknown, b: unknown) => unknown): unknown[] {
  const acc = new Map<string, unknown>();
  for (const pair of pairs as Array<[unknown, unknown]>) {
    const k = encodeKey(pair[0]);
    acc.set(k, acc.has(k) ? fn(acc.get(k), pair[1]) : pair[1]);
  }
  return [...acc].map(([k, v]) => [decodeKey(k), v]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
