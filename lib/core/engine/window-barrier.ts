import type { WindowOp } from '../pipeline/op-spec';
import { decodeKey, encodeKey } from '../state/key-codec';
import { stateOf, type OperatorState } from '../state/operator-state';
import { ElementPaneStore } from '../window/element-pane-store';
import { timeOf } from '../window/event-time';
import { KeyedPaneStore, type OnKeyError } from '../window/keyed-pane-store';
import { advanceWatermark, readMeta, writeMeta, type OperatorMeta } from '../window/operator-meta';
import { windowEndsToEmit } from '../window/window-ends-to-emit';
import { WindowGrid } from '../window/window-grid';
import type { LateRecord, Windowed } from '../window/windowed';
import type { Barrier, RecordContext } from './barriers';
import { asPair } from './fuse';

/**
 * The barrier of `window`, `reduceByKeyAndWindow` and `countByWindow`: files each element under
 * the pane of its time, sends elements whose windows all closed to the late output, and at the end
 * of the batch advances the watermark and emits every window that closed, one element per window.
 *
 * Everything is derived from record times and the state, never from a clock, so a re-run of a
 * batch emits the same windows (deterministic replay); panes and the watermark live in the
 * operator's state and commit with the offsets (exactly once).
 */
export function createWindowBarrier(op: WindowOp, record: RecordContext, timeFromInput = false, carriedTime = false): Barrier {
  // After an exchange, an event-time window's elements carry the time its `eventTime` gave them on the sending side.
  const eventTime = carriedTime ? undefined : op.eventTime;
  const grid = new WindowGrid(op.windowMs, op.slideMs);
  const keyed =
    op.kind === 'window' ? undefined : op.kind === 'countByWindow' ? new KeyedPaneStore(grid, add, subtract) : new KeyedPaneStore(grid, op.reduce, op.inverse);
  const elements = op.kind === 'window' ? new ElementPaneStore(grid) : undefined;
  const operator = `${op.kind}(${op.id})`;
  // Set by begin() from the state, once per batch; pushes compare against it.
  let meta: OperatorMeta = { watermarkMs: null, lastEndMs: null, seq: 0 };
  let closeMs: number | null = null;
  let maxTimeMs = -Infinity;
  let late: Array<LateRecord<unknown>> = [];

  const file: (pane: number, x: unknown) => void =
    op.kind === 'window'
      ? (pane, x) => elements!.add(pane, x)
      : op.kind === 'countByWindow'
        ? (pane) => keyed!.add(pane, '', 1)
        : (pane, x) => {
            const pair = asPair(x, 'reduceByKeyAndWindow');
            keyed!.add(pane, encodeKey(pair[0]), pair[1]);
          };

  return {
    // Only arrival-time windows: an event time moves only with the records that carry it.
    ...(op.eventTime === undefined ? { tickDueAtMs: (states: ReadonlyMap<string, OperatorState>) => tickDueAtMs(stateOf(states, op.id)) } : {}),
    begin: (ctx) => {
      meta = readMeta(stateOf(ctx.states, op.id));
      closeMs = meta.watermarkMs === null ? null : meta.watermarkMs - op.allowedLatenessMs;
    },
    push: (x) => {
      const t = timeOf(eventTime, x, record.arrivalMs);
      const pane = grid.paneOf(t);
      // Between two sampling windows (slide > window): in no window, as in Spark; its time still counts.
      if (!grid.inSomeWindow(pane)) {
        if (t > maxTimeMs) maxTimeMs = t;
        return;
      }
      if (closeMs !== null && grid.lastEndOf(pane) <= closeMs) {
        late.push({ value: x, timeMs: t, watermarkMs: meta.watermarkMs! });
        return;
      }
      file(pane, x);
      if (t > maxTimeMs) maxTimeMs = t;
    },
    reset: () => {
      keyed?.reset();
      elements?.reset();
      maxTimeMs = -Infinity;
      late = [];
    },
    finish: (ctx) => {
      const state = stateOf(ctx.states, op.id);
      const onError: OnKeyError = (key, element, error) => {
        ctx.failures.push({ stage: ctx.stage, index: undefined, operator, element: [decodeKey(key), element], error });
      };
      // An idle tick: every record still to come arrives after idleAtMs, so arrival time has reached it.
      if (ctx.idleAtMs !== undefined && op.eventTime === undefined && ctx.idleAtMs > maxTimeMs) maxTimeMs = ctx.idleAtMs;
      // After an exchange, time is what every origin has reached, not the most any one of them sent.
      // Every origin ended: close every window holding data (its due time is the watermark needed).
      if (timeFromInput) maxTimeMs = ctx.inputWatermarkMs ?? -Infinity;
      const after: OperatorMeta = { ...meta };
      let filed: Iterable<number>;
      if (keyed !== undefined) filed = [...keyed.merge(state, meta.lastEndMs, ctx.batchTimeMs, onError)];
      else {
        after.seq = elements!.merge(state, meta.seq, ctx.batchTimeMs);
        filed = elements!.batchPanes();
      }
      if (maxTimeMs === Infinity) {
        // Every origin of the exchange ended: time passes the end of the last window holding data.
        let last = -Infinity;
        for (const pane of dataPanes(state)) last = Math.max(last, grid.lastEndOf(pane));
        maxTimeMs = last === -Infinity ? -Infinity : last + op.maxOutOfOrdernessMs + op.allowedLatenessMs;
      }
      after.watermarkMs = advanceWatermark(meta.watermarkMs, maxTimeMs, op.maxOutOfOrdernessMs);
      const windows = closeWindows(state, after, ctx.batchTimeMs, onError);
      after.openPanes = stillOpen(meta.openPanes === undefined ? dataPanes(state) : [...meta.openPanes, ...filed], after.lastEndMs);
      writeMeta(state, meta, after, ctx.batchTimeMs);
      if (late.length > 0) ctx.outputs.push({ op: op.late, items: late });
      return windows;
    },
  };

  /**
   * The earliest idle time at which a tick closes a window holding data: the end of the first such
   * window not emitted yet, plus the out-of-orderness and lateness the watermark must leave behind.
   */
  function tickDueAtMs(state: OperatorState): number | undefined {
    const meta = readMeta(state);
    const lastEndMs = meta.lastEndMs ?? -Infinity;
    let nextEndMs = Infinity;
    for (const pane of meta.openPanes ?? dataPanes(state)) {
      // The first window not emitted yet that holds this pane, if any.
      const endMs = Math.max(grid.firstEndOf(pane), lastEndMs + grid.slideMs);
      if (endMs <= grid.lastEndOf(pane) && endMs < nextEndMs) nextEndMs = endMs;
    }
    return nextEndMs === Infinity ? undefined : nextEndMs + op.maxOutOfOrdernessMs + op.allowedLatenessMs;
  }

  /** Starts of every pane holding data, read from the whole state: for an operator whose clock holds no `openPanes` yet. */
  function dataPanes(state: OperatorState): Iterable<number> {
    return elements !== undefined ? elements.panes(state).keys() : keyed!.panes(state);
  }

  /** The panes of `panes` of which some window ends after `lastEndMs`, ascending, each once. */
  function stillOpen(panes: Iterable<number>, lastEndMs: number | null): number[] {
    const open = new Set<number>();
    for (const pane of panes) if (lastEndMs === null || grid.lastEndOf(pane) > lastEndMs) open.add(pane);
    return [...open].sort((a, b) => a - b);
  }

  /** Emits the windows the new watermark closed, and records the last one in `after`. */
  function closeWindows(state: OperatorState, after: OperatorMeta, batchTimeMs: number, onError: OnKeyError): unknown[] {
    if (after.watermarkMs === null) return [];
    const close = grid.alignedEnd(after.watermarkMs - op.allowedLatenessMs);
    if (meta.lastEndMs !== null && close <= meta.lastEndMs) return [];
    const byPane = elements?.panes(state);
    const { ends, emitEmpty } = windowEndsToEmit(grid, meta.lastEndMs, close, byPane?.keys() ?? keyed!.panes(state));
    if (ends.length === 0) return [];
    after.lastEndMs = ends[ends.length - 1]!;
    const out: Array<Windowed<unknown>> = [];
    const push = (i: number, value: unknown, empty: boolean): void => {
      if (emitEmpty || !empty) out.push({ startMs: ends[i]! - op.windowMs, endMs: ends[i]!, value });
    };
    if (elements !== undefined) {
      elements.emit(state, byPane!, ends).forEach((values, i) => push(i, values, values.length === 0));
    } else {
      const results = keyed!.emit(state, ends, meta.lastEndMs, batchTimeMs, onError);
      results.forEach((pairs, i) => {
        if (op.kind === 'countByWindow') push(i, (pairs[0]?.[1] as number | undefined) ?? 0, pairs.length === 0);
        else
          push(
            i,
            pairs.map(([k, v]) => [decodeKey(k), v]),
            pairs.length === 0,
          );
      });
    }
    return out;
  }
}

function add(a: unknown, b: unknown): unknown {
  return (a as number) + (b as number);
}

function subtract(a: unknown, b: unknown): unknown {
  return (a as number) - (b as number);
}
