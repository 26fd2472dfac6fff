import type { Clock } from '../../lib/ports/clock';
import type { ReadResult, ShardInfo, Source } from '../../lib/ports/source';

/** One line of a test stream: the shard it lands on and when it arrives. */
export interface TimedLine {
  readonly shard: number;
  readonly arrivalMs: number;
  readonly line: string;
}

const encoder = new TextEncoder();

/**
 * A multi-shard source whose records arrive at given times: a read returns only what has arrived
 * by the clock's now, as a Kinesis shard would, and reports the end of data once everything arrived
 * and was read.
 */
export class TimedShardsSource implements Source {
  readonly id = 'timed-shards';
  readonly #byShard: TimedLine[][];
  readonly #clock: Clock;
  readonly #lagMs: readonly number[];

  /** `lagMs[s]`: shard s is read that far behind its arrivals (a shard whose reader fell behind). */
  constructor(lines: readonly TimedLine[], shards: number, clock: Clock, lagMs: readonly number[] = []) {
    this.#byShard = Array.from({ length: shards }, (_, s) => lines.filter((l) => l.shard === s).sort((a, b) => a.arrivalMs - b.arrivalMs));
    this.#clock = clock;
    this.#lagMs = lagMs;
  }

  async listShards(): Promise<ShardInfo[]> {
    return this.#byShard.map((_, s) => ({ shardId: `shard-${s}`, parentShardIds: [] }));
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    const shard = Number(shardId.slice('shard-'.length));
    const lines = this.#byShard[shard]!;
    const from = afterSeq === undefined ? 0 : Number(afterSeq);
    const now = this.#clock.nowMs() - (this.#lagMs[shard] ?? 0);
    const records = [];
    for (let i = from; i < lines.length && records.length < maxRecords && lines[i]!.arrivalMs <= now; i++) {
      records.push({ seq: String(i + 1), arrivalMs: lines[i]!.arrivalMs, partitionKey: shardId, data: encoder.encode(lines[i]!.line) });
    }
    const next = from + records.length;
    // A lagging reader knows it is behind (as Kinesis' MillisBehindLatest says) while records arrived that it has not read.
    const behind = next < lines.length && lines[next]!.arrivalMs <= this.#clock.nowMs() ? this.#clock.nowMs() - lines[next]!.arrivalMs : 0;
    return { records, endOfShard: false, endOfData: next === lines.length, ...(behind > 0 ? { millisBehind: behind } : {}) };
  }
}

/** A deterministic corpus of `count` lines over `spanMs`, words Zipf-like, lines spread over `shards`. */
export function timedCorpus(count: number, shards: number, startMs: number, spanMs: number, seed = 7): TimedLine[] {
  const vocabulary = Array.from({ length: 60 }, (_, i) => `w${i}`);
  let s = seed;
  // The high bits of a linear congruential generator: its low bits cycle.
  const next = (): number => (s = (s * 1103515245 + 12345) % 2147483648) >>> 12;
  const word = (): string => vocabulary[Math.floor(vocabulary.length * Math.pow((next() % 10_000) / 10_000, 2.5))]!;
  return Array.from({ length: count }, (_, i) => ({
    shard: next() % shards,
    arrivalMs: startMs + Math.floor((i * spanMs) / count),
    line: Array.from({ length: 1 + (next() % 6) }, word).join(' '),
  }));
}

/** Word counts of lines, as the examples split them. */
export function countOf(lines: readonly { line: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { line } of lines) for (const w of line.split(/\s+/)) if (w.length > 0) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}
