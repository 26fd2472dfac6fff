import type { OperatorState } from '../state/operator-state';
import { META_KEY } from './operator-meta';
import type { WindowGrid } from './window-grid';

/**
 * Elements per state entry of `window`. Chunks keep a busy pane from becoming one huge entry, so a
 * batch's delta carries the chunks it added, not the whole pane again.
 */
export const ELEMENT_CHUNK_SIZE = 500;

/** A chunk entry's value: the pane it belongs to and its elements, in arrival order. */
export type ElementChunk = [paneMs: number, elements: unknown[]];

/**
 * The panes of `window`: each batch's elements are appended to their pane as numbered chunks
 * (`meta.seq` numbers them, so their order survives a reload), and a window is the concatenation
 * of its panes' chunks, oldest pane first, when it closes.
 */
export class ElementPaneStore {
  readonly #grid: WindowGrid;
  #batch = new Map<number, unknown[]>();

  constructor(grid: WindowGrid) {
    this.#grid = grid;
  }

  add(pane: number, element: unknown): void {
    const list = this.#batch.get(pane);
    if (list === undefined) this.#batch.set(pane, [element]);
    else list.push(element);
  }

  reset(): void {
    this.#batch = new Map();
  }

  /** Starts of the panes this batch filed elements under. */
  batchPanes(): Iterable<number> {
    return this.#batch.keys();
  }

  /** Stores the batch's elements as new chunks numbered from `seq`; returns the next free number. */
  merge(state: OperatorState, seq: number, batchTimeMs: number): number {
    let next = seq;
    for (const [pane, elements] of this.#batch) {
      for (let i = 0; i < elements.length; i += ELEMENT_CHUNK_SIZE) {
        const chunk: ElementChunk = [pane, elements.slice(i, i + ELEMENT_CHUNK_SIZE)];
        state.set(String(next++), { value: chunk, updatedAtMs: batchTimeMs });
      }
    }
    return next;
  }

  /** The chunks of every pane holding data, each pane's in storage order. */
  panes(state: OperatorState): Map<number, Array<[seq: number, elements: unknown[]]>> {
    const byPane = new Map<number, Array<[number, unknown[]]>>();
    for (const [key, entry] of state.entries()) {
      if (key === META_KEY) continue;
      const [pane, elements] = entry.value as ElementChunk;
      const chunks = byPane.get(pane);
      if (chunks === undefined) byPane.set(pane, [[Number(key), elements]]);
      else chunks.push([Number(key), elements]);
    }
    for (const chunks of byPane.values()) chunks.sort((a, b) => a[0] - b[0]);
    return byPane;
  }

  /** The elements of the windows ending at `ends`; deletes the chunks of panes no window needs any more. */
  emit(state: OperatorState, byPane: Map<number, Array<[number, unknown[]]>>, ends: readonly number[]): unknown[][] {
    const { windowMs, slideMs } = this.#grid;
    const ascending = [...byPane.keys()].sort((a, b) => a - b);
    const out = ends.map((end) => {
      const values: unknown[] = [];
      for (const pane of ascending) {
        if (pane < end - windowMs || pane >= end) continue;
        for (const [, elements] of byPane.get(pane)!) for (const e of elements) values.push(e);
      }
      return values;
    });
    const keepFrom = ends[ends.length - 1]! - windowMs + slideMs;
    for (const pane of ascending) {
      if (pane >= keepFrom) break;
      for (const [seq] of byPane.get(pane)!) state.delete(String(seq));
    }
    return out;
  }
}
