import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compileStages } from '../../../lib/core/engine/compile-stages';
import { pipeline, type Stream } from '../../../lib/core/pipeline/stream';
import type { Windowed } from '../../../lib/core/window/windowed';
import type { ReadResult, ShardInfo, Source } from '../../../lib/ports/source';
import { StagedLocalDriver } from '../../../lib/runtime/local-driver/staged-local-driver';
import { FakeClock } from '../../helpers/fake-clock';
import { TimedShardsSource, type TimedLine } from '../../helpers/timed-shards-source';

const START_MS = Date.UTC(2026, 0, 1, 0, 0, 0, 300);
const OUT_OF_ORDER_MS = 1_500;

interface Event {
  readonly w: string;
  readonly t: number;
}

/**
 * `count` lines over `spanMs` spread over `shards`, each `word eventTime`: the event time is up to
 * 1.5 s before the arrival, so event times are out of order, each within `OUT_OF_ORDER_MS` of the
 * greatest one before it. The last line is a flush far ahead, so the one-shard reference (which has
 * no end of input for event time) closes every window of the data before it.
 */
function eventCorpus(count: number, shards: number, spanMs: number, seed: number, shardOf?: (i: number) => number): TimedLine[] {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2147483648) >>> 12;
  const lines: TimedLine[] = Array.from({ length: count }, (_, i) => {
    const arrivalMs = START_MS + Math.floor((i * spanMs) / count);
    const shard = shardOf?.(i) ?? next() % shards;
    return { shard, arrivalMs, line: `w${next() % 23} ${arrivalMs - (next() % OUT_OF_ORDER_MS)}` };
  });
  const lastMs = START_MS + spanMs;
  lines.push({ shard: 0, arrivalMs: lastMs, line: `flush ${lastMs + 60_000}` });
  return lines;
}

const parse = (line: string): Event => {
  const [w, t] = line.split(' ');
  return { w: w!, t: Number(t) };
};

type Window = Windowed<Event[]>;

interface Run {
  readonly windows: Window[];
  readonly late: number;
  readonly stoppedBy: string;
}

interface Collected {
  readonly windows: Window[];
  late: number;
}

/** Runs the pipeline `build` makes (given where its windows and late records go) on `source`. */
async function run(build: (into: Collected) => Stream<unknown>, source: (clock: FakeClock) => Source, durationMs?: number): Promise<Run> {
  const clock = new FakeClock({ startMs: START_MS, autoAdvance: true });
  const into: Collected = { windows: [], late: 0 };
  const staged = compileStages(build(into));
  const driver = new StagedLocalDriver({
    app: staged.name,
    staged,
    source: source(clock),
    checkpoints: new MemoryCheckpointStore(),
    objects: new MemoryObjectStore(),
    clock,
    batchIntervalMs: 500,
    ...(durationMs === undefined ? {} : { durationMs }),
    output: { print: () => {} },
  });
  const result = await driver.run();
  return { windows: into.windows, late: into.late, stoppedBy: result.stoppedBy };
}

/** The same event-time window, after `exchange` (keyBy, global, or none: one shard). */
function windowed(name: string, exchange: 'keyBy' | 'global' | 'none', windowMs: number, slideMs: number): (into: Collected) => Stream<unknown> {
  return (into) => {
    const events = pipeline(name).map(parse);
    const routed = exchange === 'keyBy' ? events.keyBy((e) => e.w, { partitions: 4 }) : exchange === 'global' ? events.global() : events;
    return routed
      .filter((e) => e.t >= 0)
      .window({
        name: 'events',
        windowMs,
        slideMs,
        eventTime: (e) => e.t,
        maxOutOfOrdernessMs: OUT_OF_ORDER_MS,
        onLate: (records) => void (into.late += records.length),
      })
      .foreachBatch((items) => void into.windows.push(...items)) as Stream<unknown>;
  };
}

/** Windows by their span, each one's events sorted; the partitions' parts of one window merged. */
function bySpan(windows: readonly Window[], lastEndMs: number, keepEmpty: boolean): Array<[string, string[]]> {
  const spans = new Map<string, string[]>();
  for (const w of windows) {
    if (w.endMs > lastEndMs) continue;
    const key = `${w.startMs}-${w.endMs}`;
    const values = w.value.map((e) => `${e.w}@${e.t}`);
    if (!keepEmpty && values.length === 0) continue;
    spans.set(key, [...(spans.get(key) ?? []), ...values]);
  }
  return [...spans.entries()].map(([k, v]) => [k, v.sort()] as [string, string[]]).sort((a, b) => a[0].localeCompare(b[0]));
}

const oneShard = (lines: readonly TimedLine[]) => (clock: FakeClock) =>
  new TimedShardsSource(
    lines.map((l) => ({ ...l, shard: 0 })),
    1,
    clock,
  );

/** The end of the last window holding data before the flush. */
function lastDataEndMs(lines: readonly TimedLine[], slideMs: number, windowMs: number): number {
  const maxT = Math.max(...lines.filter((l) => !l.line.startsWith('flush')).map((l) => parse(l.line).t));
  return Math.floor(maxT / slideMs) * slideMs + windowMs;
}

describe('event-time windows after an exchange, local mode, 4 shards', () => {
  it.each([
    ['sliding, keyBy on 4 partitions, shards in step', 'keyBy', 2_000, 500, []],
    ['sliding, keyBy on 4 partitions, one shard read 3 s behind, another 1.2 s', 'keyBy', 2_000, 500, [0, 3_000, 0, 1_200]],
    ['tumbling, global, one shard read 3 s behind', 'global', 1_000, 1_000, [3_000, 0, 0, 0]],
  ] as const)('gives the windows of the same pipeline on one shard, none late (%s)', async (_, exchange, windowMs, slideMs, lagMs) => {
    const lines = eventCorpus(2_400, 4, 12_000, 5);
    const reference = await run(windowed('et-ref', 'none', windowMs, slideMs), oneShard(lines));
    const staged = await run(windowed('et', exchange, windowMs, slideMs), (clock) => new TimedShardsSource(lines, 4, clock, lagMs));
    expect(reference.stoppedBy).toBe('drained');
    expect(staged.stoppedBy).toBe('drained');
    expect(reference.late).toBe(0);
    expect(staged.late).toBe(0);
    const lastEnd = lastDataEndMs(lines, slideMs, windowMs);
    const expected = bySpan(reference.windows, lastEnd, exchange === 'global');
    // Every window of the data, each with every event of it (2,400 events over 12 s).
    expect(expected.length).toBeGreaterThan(12_000 / slideMs);
    expect(bySpan(staged.windows, lastEnd, exchange === 'global')).toEqual(expected);
    if (exchange === 'global') {
      // One partition: the very same windows, one element each, empty ones included.
      const spans = staged.windows.filter((w) => w.endMs <= lastEnd).map((w) => `${w.startMs}-${w.endMs}`);
      expect(spans).toEqual(reference.windows.filter((w) => w.endMs <= lastEnd).map((w) => `${w.startMs}-${w.endMs}`));
    }
  });

  it('a source shard that goes quiet (no records, input not ended) does not hold the windows back', async () => {
    // Shard 3 has records only in the first 2 s; no shard ever reports the end of its input.
    const lines = eventCorpus(2_400, 4, 12_000, 9, (i) => (i < 400 ? i % 4 : i % 3)).filter((l) => !l.line.startsWith('flush'));
    for (const l of lines) if (l.shard === 3) expect(l.arrivalMs).toBeLessThan(START_MS + 2_100);
    const staged = await run(windowed('et-quiet', 'keyBy', 2_000, 500), (clock) => new NeverEnds(new TimedShardsSource(lines, 4, clock)), 16_000);
    expect(staged.stoppedBy).toBe('duration');
    expect(staged.late).toBe(0);
    const maxT = Math.max(...lines.map((l) => parse(l.line).t));
    const emittedEnd = Math.max(...staged.windows.map((w) => w.endMs));
    // Closed up to the event time of the other shards, far past shard 3's last record (~2 s in).
    expect(emittedEnd).toBeGreaterThanOrEqual(maxT - OUT_OF_ORDER_MS - 1_000);
    // And those windows are the one-shard stream's.
    const reference = await run(
      windowed('et-quiet-ref', 'none', 2_000, 500),
      oneShard([...lines, { shard: 0, arrivalMs: START_MS + 12_001, line: `flush ${maxT + 60_000}` }]),
    );
    expect(bySpan(staged.windows, emittedEnd, false)).toEqual(bySpan(reference.windows, emittedEnd, false));
  });

  it('refuses an event-time window after an exchange that it cannot time on the sending side, in one line', () => {
    const afterAggregate = pipeline('x')
      .map((l) => [l, 1] as [string, number])
      .keyBy()
      .reduceByKey((a, b) => a + b)
      .window({ windowMs: 1_000, eventTime: () => 0 });
    expect(() => compileStages(afterAggregate as Stream<unknown>)).toThrow(/after map\/flatMap\/filter\/mapValues only \(found reduceByKey/);
    const secondExchange = pipeline('y')
      .keyBy()
      .global()
      .window({ windowMs: 1_000, eventTime: () => 0 });
    expect(() => compileStages(secondExchange as Stream<unknown>)).toThrow(/after the first keyBy\/global only/);
  });
});

/** A source whose shards never report the end of their data: a live stream that went quiet. */
class NeverEnds implements Source {
  readonly id: string | undefined;
  readonly #inner: Source;
  constructor(inner: Source) {
    this.#inner = inner;
    this.id = inner.id;
  }
  listShards(): Promise<ShardInfo[]> {
    return this.#inner.listShards();
  }
  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    return { ...(await this.#inner.read(shardId, afterSeq, maxRecords)), endOfData: false };
  }
}
