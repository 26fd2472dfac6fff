import { z } from 'zod';
import { ConfigError, SluiceError } from '../../../core/errors';
import type { SourceRecord } from '../../../core/source-record';
import type { Clock } from '../../../ports/clock';
import type { ReadResult, ShardInfo, Source } from '../../../ports/source';
import { rateProfileSchema, RateSchedule, type RateProfile } from './rate-profile';
import { parseLocalSeq } from './parse-seq';
import { mulberry32, streamState } from './seeded-random';
import { ZipfVocabulary } from './zipf-vocabulary';

/** The generator's only shard. */
export const GENERATOR_SHARD_ID = 'generator-0';

/** Seed of `--source generator`: any fixed value works; a fixed one makes every demo run alike. */
export const DEFAULT_GENERATOR_SEED = 42;

/**
 * Load of `npm start`: 1,000 records/s that 1-second batches absorb easily, then a 10× burst for
 * 2 s starting 3 s in — long enough to build a backlog the PID must work off, short enough to watch.
 * Times count from a process's first read, so a restarted run shows the spike again.
 */
export const DEFAULT_GENERATOR_PROFILE: RateProfile = { kind: 'spike', rate: 1_000, spikeAtMs: 3_000, spikeDurationMs: 2_000, factor: 10 };

/** 5,000 words: a long tail for top-k, small enough to build in a millisecond. */
export const DEFAULT_VOCABULARY_SIZE = 5_000;

/** 18 words (Zipf favours the short frequent ones) plus spaces make lines of ~100 bytes, a typical log line. */
export const DEFAULT_WORDS_PER_LINE = 18;

/** Options of {@link GeneratorSource}. */
export interface GeneratorSourceOptions {
  /** Seed of the vocabulary and of every line; same seed, same records. */
  readonly seed: number;
  readonly clock: Clock;
  /** @default {@link DEFAULT_GENERATOR_PROFILE} */
  readonly profile?: RateProfile;
  /** @default {@link DEFAULT_VOCABULARY_SIZE} */
  readonly vocabularySize?: number;
  /** @default {@link DEFAULT_WORDS_PER_LINE} */
  readonly wordsPerLine?: number;
  /** Total records, after which `endOfData` is true. @default unlimited */
  readonly limit?: number;
}

const optionsSchema = z.object({
  seed: z.number().int().safe(),
  profile: rateProfileSchema,
  vocabularySize: z.number().int().min(1).max(1_000_000),
  wordsPerLine: z.number().int().min(1).max(10_000),
  limit: z.number().int().nonnegative().safe().optional(),
});

/**
 * Seeded Zipf word lines that arrive over time following a rate profile: the default source of
 * `sluice run`. Record `i` (seq `i`, from 1) is a pure function of `(seed, i)`, so after `kill -9`
 * the new process asked from the committed seq returns byte-identical records.
 *
 * Availability is counted from this process's first read and offset by the `afterSeq` of that
 * read: a restarted generator continues from the committed seq instead of racing through the
 * records the previous process already produced. `arrivalMs` is when a record became available.
 *
 * @example
 * const source = new GeneratorSource({ seed: 7, clock: new SystemClock(), profile: { kind: 'steady', rate: 500 } });
 */
export class GeneratorSource implements Source {
  private readonly clock: Clock;
  private readonly seed: number;
  private readonly schedule: RateSchedule;
  private readonly vocabulary: ZipfVocabulary;
  private readonly wordsPerLine: number;
  private readonly limit: number;
  private start: { readonly ms: number; readonly baseSeq: number } | undefined;

  constructor(options: GeneratorSourceOptions) {
    const parsed = optionsSchema.safeParse({
      seed: options.seed,
      profile: options.profile ?? DEFAULT_GENERATOR_PROFILE,
      vocabularySize: options.vocabularySize ?? DEFAULT_VOCABULARY_SIZE,
      wordsPerLine: options.wordsPerLine ?? DEFAULT_WORDS_PER_LINE,
      limit: options.limit,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`generator.${issue.path.join('.')}`, issue.message);
    }
    this.clock = options.clock;
    this.seed = parsed.data.seed;
    this.schedule = new RateSchedule(parsed.data.profile);
    this.vocabulary = new ZipfVocabulary(parsed.data.seed, parsed.data.vocabularySize);
    this.wordsPerLine = parsed.data.wordsPerLine;
    this.limit = parsed.data.limit ?? Number.MAX_SAFE_INTEGER;
  }

  async listShards(): Promise<ShardInfo[]> {
    return [{ shardId: GENERATOR_SHARD_ID, parentShardIds: [] }];
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    if (shardId !== GENERATOR_SHARD_ID) throw new SluiceError(`generator source has no shard ${shardId}`);
    const after = parseLocalSeq(afterSeq, 'generator');
    const nowMs = this.clock.nowMs();
    this.start ??= { ms: nowMs, baseSeq: after };
    const available = Math.min(this.limit, this.start.baseSeq + this.schedule.availableAt(Math.max(0, nowMs - this.start.ms)));
    const last = Math.min(available, after + Math.max(0, maxRecords));
    const records: SourceRecord[] = [];
    for (let seq = after + 1; seq <= last; seq++) records.push(this.record(seq));
    const newest = records[records.length - 1];
    return {
      records,
      endOfShard: false,
      endOfData: Math.max(after, last) >= this.limit,
      millisBehind: newest && last < available ? nowMs - newest.arrivalMs : 0,
    };
  }

  /** The line of record `seq`: a pure function of (seed, seq); only arrivalMs depends on the run. */
  line(seq: number): string {
    const random = mulberry32(streamState(this.seed, seq));
    const words = new Array<string>(this.wordsPerLine);
    for (let i = 0; i < this.wordsPerLine; i++) words[i] = this.vocabulary.draw(random);
    return words.join(' ');
  }

  private record(seq: number): SourceRecord {
    const start = this.start!;
    // Records up to the first afterSeq were produced by an earlier process: available from the start.
    const arrivalMs = start.ms + (seq <= start.baseSeq ? 0 : this.schedule.arrivalOffsetMs(seq - start.baseSeq));
    return { seq: String(seq), arrivalMs, partitionKey: GENERATOR_SHARD_ID, data: ENCODER.encode(this.line(seq)) };
  }
}

const ENCODER = new TextEncoder();
