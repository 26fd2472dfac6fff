import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeExchangeBatch, exchangeOrigins } from '../../../lib/core/exchange/decode-exchange-batch';
import type { SourceRecord } from '../../../lib/core/source-record';
import { buildChunks, decodeChunk, encodeChunk, type ExchangeChunk } from '../../../lib/core/exchange/exchange-chunks';
import { EVENT_HISTORY_LIMIT, eventInputWatermark, inputWatermark, receiveChunks, type ReceiverState } from '../../../lib/core/exchange/exchange-receiver';

/**
 * Senders per the protocol (docs/decisions/0015): origin o's batch k puts its chunks (retries land
 * them in any order, with duplicates), and only once all are in the log does batch k+1 start. A
 * crash re-runs batch k: a prefix of its chunks, then all of them again. A zombie re-puts any
 * already-committed batch at any later point. The receiver cuts the log into batches anywhere and
 * may crash before its commit (the batch re-runs from the committed marks).
 */
const scenario = fc.record({
  origins: fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
  seed: fc.array(fc.nat(1_000), { minLength: 60, maxLength: 60 }),
});

interface Sent {
  readonly chunk: ExchangeChunk;
  /** The element id a chunk carries, to check exactly once. */
  readonly id: string;
}

function logOf(origins: number[][], seed: number[]): { log: Sent[]; expected: string[] } {
  let r = 0;
  const rand = (n: number): number => (seed[r++ % seed.length]! + r * 7) % n;
  const expected: string[] = [];
  const cursor = origins.map(() => 0);
  const committed: ExchangeChunk[][][] = origins.map(() => []);
  const log: Sent[] = [];
  const put = (chunks: ExchangeChunk[]): void => {
    // Retried puts: any order, some twice.
    const order = [...chunks].sort(() => rand(3) - 1);
    for (const c of order) {
      log.push({ chunk: c, id: idOf(c) });
      if (rand(4) === 0) log.push({ chunk: c, id: idOf(c) });
    }
  };
  for (;;) {
    const live = origins.map((o, i) => (cursor[i]! < o.length ? i : -1)).filter((i) => i >= 0);
    if (live.length === 0) break;
    const o = live[rand(live.length)]!;
    const batchNo = cursor[o]! + 1;
    const count = origins[o]![cursor[o]!]!;
    const elements = Array.from({ length: count }, (_, j) => [`o${o}b${batchNo}e${j}`, batchNo * 100] as const);
    const chunks = buildChunks({ origin: `o${o}`, batchNo, watermarkMs: batchNo * 100, perPartition: [elements], progress: true, targetBytes: 20 })[0]!;
    for (const e of elements) expected.push(e[0]);
    if (rand(3) === 0) put(chunks.slice(0, rand(chunks.length + 1))); // a crashed attempt
    put(chunks);
    committed[o]!.push(chunks);
    if (rand(3) === 0) {
      // A zombie of an older batch of some origin re-puts it, whole or part.
      const z = rand(origins.length);
      const old = committed[z]!;
      if (old.length > 0) {
        const batch = old[rand(old.length)]!;
        put(batch.slice(rand(batch.length)));
      }
    }
    cursor[o]!++;
  }
  return { log, expected };
}

function idOf(c: ExchangeChunk): string {
  return `${c.origin}/${c.batchNo}/${c.index}`;
}

describe('receiveChunks', () => {
  it('applies every element exactly once, whatever the duplicates, retry order, zombies, cuts and receiver crashes', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }), ({ origins, seed }, cuts) => {
        const { log, expected } = logOf(origins, seed);
        let state: ReceiverState = {};
        const applied: string[] = [];
        let at = 0;
        let k = 0;
        while (at < log.length) {
          const size = cuts[k++ % cuts.length]!;
          const batch = log.slice(at, at + size).map((s) => decodeChunk(encodeChunk(s.chunk)) as ExchangeChunk);
          // A receiver crash before its commit: the batch runs again from the committed marks, deciding the same.
          const first = receiveChunks(state, batch);
          const again = receiveChunks(state, batch);
          expect(again).toEqual(first);
          batch.forEach((c, i) => {
            if (first.accept[i]) for (const [e] of c.elements) applied.push(e as string);
          });
          state = first.state;
          at += size;
        }
        expect([...applied].sort()).toEqual([...expected].sort());
        // Every origin's last batch is complete: the marks hold no chunk list any more.
        for (const mark of Object.values(state)) expect(mark.current).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('would drop good chunks with a plain highest-index mark: retries land a batch out of order', () => {
    const chunks = buildChunks({
      origin: 'a',
      batchNo: 1,
      watermarkMs: 1,
      perPartition: [
        [
          ['x', 1],
          ['y', 1],
          ['z', 1],
        ],
      ],
      progress: true,
      targetBytes: 5,
    })[0]!;
    expect(chunks).toHaveLength(3);
    const landed = [chunks[2]!, chunks[0]!, chunks[1]!, chunks[0]!];
    const r = receiveChunks({}, landed);
    expect(r.accept).toEqual([true, true, true, false]);
    expect(r.state.a).toEqual({ complete: 1, watermarkMs: 1 });
  });

  it('drops a zombie re-put of an old batch after newer ones', () => {
    const batch = (b: number): ExchangeChunk[] => buildChunks({ origin: 'a', batchNo: b, watermarkMs: b, perPartition: [[[`e${b}`, b]]], progress: true })[0]!;
    let r = receiveChunks({}, [...batch(1), ...batch(2)]);
    r = receiveChunks(r.state, [...batch(1), ...batch(3), ...batch(2)]);
    expect(r.accept).toEqual([false, true, false]);
  });

  it('refuses a newer batch while one is incomplete: chunks were lost', () => {
    const one = buildChunks({
      origin: 'a',
      batchNo: 1,
      watermarkMs: 1,
      perPartition: [
        [
          ['x', 1],
          ['y', 1],
        ],
      ],
      progress: true,
      targetBytes: 5,
    })[0]!;
    const two = buildChunks({ origin: 'a', batchNo: 2, watermarkMs: 2, perPartition: [[]], progress: true })[0]!;
    expect(() => receiveChunks({}, [one[0]!, two[0]!])).toThrow(/batch 2 arrived while batch 1 had 1 of 2 chunks/);
  });
});

describe('inputWatermark', () => {
  it('is the least progress of the origins, undefined until each has one, and ended origins leave the minimum', () => {
    const c = (origin: string, batchNo: number, w: number, end?: boolean): ExchangeChunk => ({
      origin,
      batchNo,
      index: 0,
      count: 1,
      watermarkMs: w,
      ...(end ? { end } : {}),
      elements: [],
    });
    let s = receiveChunks({}, [c('a', 1, 500)]).state;
    expect(inputWatermark(s, ['a', 'b'])).toBeUndefined();
    s = receiveChunks(s, [c('b', 1, 300)]).state;
    expect(inputWatermark(s, ['a', 'b'])).toBe(300);
    s = receiveChunks(s, [c('b', 2, 900, true)]).state;
    expect(inputWatermark(s, ['a', 'b'])).toBe(500);
    s = receiveChunks(s, [c('a', 2, 600, true)]).state;
    expect(inputWatermark(s, ['a', 'b'])).toBe(Infinity);
  });

  it('a chunk that is not one is reported, not thrown', () => {
    expect(decodeChunk(new TextEncoder().encode('{"v":1}'))).toMatch(/not an exchange chunk/);
    expect(decodeChunk(new Uint8Array([0xff]))).toMatch(/not an exchange chunk/);
  });

  it('carries the event progress of an event-time exchange, and reads it back', () => {
    const [chunk] = buildChunks({ origin: 'a', batchNo: 3, watermarkMs: 10, eventMs: 7, perPartition: [[['x', 5]]], progress: true })[0]!;
    expect(decodeChunk(encodeChunk(chunk!))).toEqual({ ...chunk, elements: [['x', 5]] });
    const [plain] = buildChunks({ origin: 'a', batchNo: 3, watermarkMs: 10, perPartition: [[]], progress: true })[0]!;
    expect(new TextDecoder().decode(encodeChunk(plain!))).not.toContain('"t"');
  });
});

describe('eventInputWatermark', () => {
  const c = (origin: string, batchNo: number, w: number, eventMs: number | null, end?: boolean): ExchangeChunk => ({
    origin,
    batchNo,
    index: 0,
    count: 1,
    watermarkMs: w,
    eventMs,
    ...(end ? { end } : {}),
    elements: [],
  });

  it('is the greatest event time sent before the arrival time every origin has reached', () => {
    // a read up to arrival 1000 (events up to 800), b only to 400 (events up to 350).
    let s = receiveChunks({}, [c('a', 1, 500, 450), c('a', 2, 1_000, 800)]).state;
    expect(eventInputWatermark(s, ['a', 'b']).watermarkMs).toBeUndefined();
    s = receiveChunks(s, [c('b', 1, 400, 350)]).state;
    // Only what arrived before 400 precedes b's next records: nothing of a yet, b's own up to... none below 400 either.
    expect(eventInputWatermark(s, ['a', 'b']).watermarkMs).toBeUndefined();
    s = receiveChunks(s, [c('b', 2, 700, 650)]).state;
    // Before arrival 700: a's batch 1 (event 450) and b's batch 1 (event 350); a's batch 2 arrived later.
    expect(eventInputWatermark(s, ['a', 'b']).watermarkMs).toBe(450);
  });

  it('an idle origin (ticks, no event time) moves it with its ticks, and does not hold it back', () => {
    let s = receiveChunks({}, [c('a', 1, 500, 450), c('a', 2, 1_000, 800), c('a', 3, 1_500, 1_400)]).state;
    s = receiveChunks(s, [c('idle', 1, 700, null)]).state;
    expect(eventInputWatermark(s, ['a', 'idle']).watermarkMs).toBe(450);
    // Its ticks passed a's reading (1500): every event a sent before 1500 precedes whatever comes next.
    s = receiveChunks(s, [c('idle', 2, 1_600, null)]).state;
    expect(eventInputWatermark(s, ['a', 'idle']).watermarkMs).toBe(800);
  });

  it('an ended origin leaves the minimum, but what it read after it is not counted; all ended: Infinity', () => {
    let s = receiveChunks({}, [c('a', 1, 500, 450), c('a', 2, 2_000, 1_900, true)]).state;
    s = receiveChunks(s, [c('b', 1, 800, 600)]).state;
    // b's next records arrive after 800: a's batch 2 (arrived by 2000) may come after them in a one-shard stream.
    expect(eventInputWatermark(s, ['a', 'b']).watermarkMs).toBe(450);
    s = receiveChunks(s, [c('b', 2, 900, 850, true)]).state;
    expect(eventInputWatermark(s, ['a', 'b']).watermarkMs).toBe(Infinity);
  });

  it('folds what every origin passed into one entry, and keeps at most EVENT_HISTORY_LIMIT, only ever lower', () => {
    let s: ReceiverState = {};
    for (let b = 1; b <= 100; b++) s = receiveChunks(s, [c('a', b, b * 10, b * 10 - 5)]).state;
    expect(s.a!.events!.length).toBeLessThanOrEqual(EVENT_HISTORY_LIMIT);
    s = receiveChunks(s, [c('b', 1, 505, 400)]).state;
    const { watermarkMs, state } = eventInputWatermark(s, ['a', 'b']);
    // Folding only claims less: at most the exact answer (a's batch 50, event 495).
    expect(watermarkMs).toBeLessThanOrEqual(495);
    expect(watermarkMs).toBeGreaterThanOrEqual(400);
    expect(state.a!.events!.filter(([a]) => a < 505)).toHaveLength(1);
  });
});

describe('decodeExchangeBatch across a resharding of the source (a parent ended, its children)', () => {
  const chunk = (origin: string, batchNo: number, watermarkMs: number, end = false): SourceRecord => ({
    seq: String(batchNo),
    arrivalMs: watermarkMs,
    partitionKey: origin,
    data: encodeChunk({ origin, batchNo, index: 0, count: 1, watermarkMs, ...(end ? { end: true } : {}), elements: [] }),
  });

  it('a listed child that has not sent holds windows back while its ended parent leaves the minimum', () => {
    // The parent p ended at 2_000, the other shard q is at 9_000, the children c1 and c2 are listed but silent.
    const state = decodeExchangeBatch([chunk('p', 1, 2_000, true), chunk('q', 1, 9_000)], {}, ['p', 'q', 'c1', 'c2']).state;
    expect(inputWatermark(state, ['p', 'q', 'c1', 'c2'])).toBeUndefined();
    // Unlisted, the children would not count: the windows up to 9_000 would close before their records.
    expect(inputWatermark(state, ['p', 'q'])).toBe(9_000);
    // Once both children sent, the least of them and q.
    const next = decodeExchangeBatch([chunk('c1', 1, 4_000), chunk('c2', 1, 5_000)], state, ['p', 'q', 'c1', 'c2']);
    expect(next.inputWatermarkMs).toBe(4_000);
  });

  it("a closed shard's end marker names its children: unlisted, they hold windows back until they send", () => {
    // The receiver listed p and q before the split (as a Lambda container does once); nobody lists the children.
    const listed = ['p', 'q'];
    const end = (origin: string, batchNo: number, children: string[]): SourceRecord => ({
      seq: String(batchNo),
      arrivalMs: 0,
      partitionKey: origin,
      data: encodeChunk({ origin, batchNo, index: 0, count: 1, watermarkMs: 2_000, end: true, children, elements: [] }),
    });
    const first = decodeExchangeBatch([chunk('q', 1, 9_000), end('p', 1, ['c1', 'c2'])], {}, listed);
    expect(exchangeOrigins(listed, first.state)).toEqual(['p', 'q', 'c1', 'c2']);
    expect(first.inputWatermarkMs).toBeUndefined();
    // Without the children in the marker, p's end would let the windows up to 9_000 close.
    expect(decodeExchangeBatch([chunk('q', 1, 9_000), chunk('p', 1, 2_000, true)], {}, listed).inputWatermarkMs).toBe(9_000);
    // c1 sends: c2 still holds them back; then c2 sends.
    const second = decodeExchangeBatch([chunk('c1', 1, 4_000)], first.state, listed);
    expect(second.inputWatermarkMs).toBeUndefined();
    expect(decodeExchangeBatch([chunk('c2', 1, 5_000)], second.state, listed).inputWatermarkMs).toBe(4_000);
    // A child that sent before its parent's end (the mapping reads it right after the parent's last batch) keeps its mark.
    const early = decodeExchangeBatch([chunk('c1', 1, 4_000), chunk('q', 1, 9_000), end('p', 1, ['c1'])], {}, listed);
    expect(early.state['c1']).toMatchObject({ complete: 1, watermarkMs: 4_000 });
    expect(early.inputWatermarkMs).toBe(4_000);
    // A re-put end marker (a zombie) is a duplicate, and adds nothing.
    expect(decodeExchangeBatch([end('p', 1, ['c9'])], early.state, listed).state).toEqual(early.state);
  });

  it('an origin that sent counts whether listed or not', () => {
    const batch = decodeExchangeBatch([chunk('q', 1, 9_000), chunk('c1', 1, 3_000)], {}, ['q']);
    expect(exchangeOrigins(['q'], batch.state)).toEqual(['q', 'c1']);
    expect(batch.inputWatermarkMs).toBe(3_000);
  });
});
