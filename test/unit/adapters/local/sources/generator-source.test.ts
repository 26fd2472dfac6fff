import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, SluiceError } from '../../../../../lib/core/errors';
import type { SourceRecord } from '../../../../../lib/core/source-record';
import { GENERATOR_SHARD_ID, GeneratorSource } from '../../../../../lib/adapters/local/sources/generator-source';
import { FakeClock } from '../../../../helpers/fake-clock';

const START_MS = 1_700_000_000_000;
const text = (record: SourceRecord): string => new TextDecoder().decode(record.data);
/** What must survive a restart: everything but arrivalMs, which is when this process made it available. */
const replayable = (records: SourceRecord[]) => records.map(({ seq, partitionKey, data }) => ({ seq, partitionKey, data: Array.from(data) }));

/** A generator whose records are all available: a huge steady rate after one ms. */
async function allAvailable(seed: number, options: { vocabularySize?: number; wordsPerLine?: number } = {}) {
  const clock = new FakeClock({ startMs: START_MS });
  const source = new GeneratorSource({ seed, clock, profile: { kind: 'steady', rate: 1e9 }, ...options });
  await source.read(GENERATOR_SHARD_ID, undefined, 0);
  await clock.advance(1_000);
  return source;
}

describe('GeneratorSource', () => {
  describe('read', () => {
    it('returns the same records for the same seed', async () => {
      // Prepare
      const [a, b] = [await allAvailable(7), await allAvailable(7)];

      // Act
      const [first, second] = [await a.read(GENERATOR_SHARD_ID, undefined, 500), await b.read(GENERATOR_SHARD_ID, undefined, 500)];

      // Assess
      expect(first.records.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, i) => String(i + 1)));
      expect(replayable(second.records)).toEqual(replayable(first.records));
    });

    it('returns other lines for another seed', async () => {
      // Prepare
      const [a, b] = [await allAvailable(7), await allAvailable(8)];

      // Act
      const [first, second] = [await a.read(GENERATOR_SHARD_ID, undefined, 50), await b.read(GENERATOR_SHARD_ID, undefined, 50)];

      // Assess
      expect(second.records.map(text)).not.toEqual(first.records.map(text));
    });

    it('replays identical records after a restart from any afterSeq', async () => {
      // Prepare
      const reference = await allAvailable(99, { vocabularySize: 300 });
      const all = (await reference.read(GENERATOR_SHARD_ID, undefined, 3_000)).records;

      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 1, max: 1_000 }), async (afterSeq, max) => {
          // Act: a new process, first asked from the committed seq
          const restarted = await allAvailable(99, { vocabularySize: 300 });
          const { records } = await restarted.read(GENERATOR_SHARD_ID, String(afterSeq), max);

          // Assess
          expect(replayable(records)).toEqual(replayable(all.slice(afterSeq, afterSeq + max)));
        }),
        { numRuns: 30 },
      );
    });

    it('makes lines of about 100 bytes of Zipf-distributed words', async () => {
      // Prepare
      const source = await allAvailable(3);

      // Act
      const lines = (await source.read(GENERATOR_SHARD_ID, undefined, 5_000)).records.map(text);

      // Assess
      const meanBytes = lines.reduce((sum, line) => sum + line.length, 0) / lines.length;
      const counts = new Map<string, number>();
      for (const word of lines.flatMap((line) => line.split(' '))) counts.set(word, (counts.get(word) ?? 0) + 1);
      const ranked = [...counts.values()].sort((x, y) => y - x);
      expect(meanBytes).toBeGreaterThan(85);
      expect(meanBytes).toBeLessThan(115);
      // Zipf with exponent 1: the top word is about twice the second and ten times the tenth.
      expect(ranked[0]! / ranked[1]!).toBeGreaterThan(1.6);
      expect(ranked[0]! / ranked[9]!).toBeGreaterThan(7);
      expect(ranked.length).toBeGreaterThan(1_000);
    });

    it('follows the spike profile on a fake clock and stamps each record with its arrival', async () => {
      // Prepare
      const clock = new FakeClock({ startMs: START_MS });
      const source = new GeneratorSource({ seed: 1, clock, profile: { kind: 'spike', rate: 1_000, spikeAtMs: 3_000, spikeDurationMs: 2_000, factor: 10 } });
      const counts: number[] = [];
      let afterSeq: string | undefined;

      // Act: one read per second, draining what is available
      for (let second = 0; second <= 6; second++) {
        const { records } = await source.read(GENERATOR_SHARD_ID, afterSeq, 1_000_000);
        counts.push(records.length);
        expect(Math.max(...records.map((r) => r.arrivalMs))).toBeLessThanOrEqual(clock.nowMs());
        afterSeq = records.at(-1)?.seq ?? afterSeq;
        await clock.advance(1_000);
      }

      // Assess
      expect(counts).toEqual([0, 1_000, 1_000, 1_000, 10_000, 10_000, 1_000]);
    });

    it('continues availability from the first afterSeq after a restart', async () => {
      // Prepare: the previous process committed up to 5000
      const clock = new FakeClock({ startMs: START_MS });
      const source = new GeneratorSource({ seed: 1, clock, profile: { kind: 'steady', rate: 1_000 } });

      // Act
      const atStart = await source.read(GENERATOR_SHARD_ID, '5000', 10_000);
      await clock.advance(250);
      const later = await source.read(GENERATOR_SHARD_ID, '5000', 10_000);

      // Assess
      expect(atStart.records).toEqual([]);
      expect(later.records.map((r) => r.seq)).toEqual(Array.from({ length: 250 }, (_, i) => String(5_001 + i)));
      expect(later.records.map((r) => r.arrivalMs - START_MS)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    });

    it('reports millisBehind for a partial read and 0 when caught up', async () => {
      // Prepare
      const clock = new FakeClock({ startMs: START_MS });
      const source = new GeneratorSource({ seed: 1, clock, profile: { kind: 'steady', rate: 1_000 } });
      await source.read(GENERATOR_SHARD_ID, undefined, 0);
      await clock.advance(2_000);

      // Act
      const partial = await source.read(GENERATOR_SHARD_ID, undefined, 500);
      const rest = await source.read(GENERATOR_SHARD_ID, '500', 5_000);

      // Assess
      expect(partial.millisBehind).toBe(1_500);
      expect(rest.records).toHaveLength(1_500);
      expect(rest.millisBehind).toBe(0);
    });

    it('ends the data after limit records', async () => {
      // Prepare
      const clock = new FakeClock({ startMs: START_MS });
      const source = new GeneratorSource({ seed: 1, clock, profile: { kind: 'steady', rate: 1_000 }, limit: 1_200 });
      await source.read(GENERATOR_SHARD_ID, undefined, 0);
      await clock.advance(5_000);

      // Act
      const first = await source.read(GENERATOR_SHARD_ID, undefined, 1_000);
      const last = await source.read(GENERATOR_SHARD_ID, '1000', 1_000);
      const after = await source.read(GENERATOR_SHARD_ID, '1200', 1_000);

      // Assess
      expect([first.endOfData, last.endOfData, after.endOfData]).toEqual([false, true, true]);
      expect(last.records.at(-1)?.seq).toBe('1200');
      expect(after.records).toEqual([]);
    });

    it('rejects an unknown shard', async () => {
      // Prepare
      const source = new GeneratorSource({ seed: 1, clock: new FakeClock() });

      // Act + Assess
      await expect(source.read('generator-1', undefined, 1)).rejects.toThrow(SluiceError);
    });

    it('rejects an afterSeq it did not produce', async () => {
      // Prepare
      const source = new GeneratorSource({ seed: 1, clock: new FakeClock() });

      // Act + Assess
      await expect(source.read(GENERATOR_SHARD_ID, '12abc', 1)).rejects.toThrow(/afterSeq 12abc/);
    });
  });

  describe('constructor', () => {
    it('rejects a profile with a negative rate, naming the field', () => {
      // Act + Assess
      expect(() => new GeneratorSource({ seed: 1, clock: new FakeClock(), profile: { kind: 'steady', rate: -5 } })).toThrow(ConfigError);
      expect(() => new GeneratorSource({ seed: 1, clock: new FakeClock(), profile: { kind: 'steady', rate: -5 } })).toThrow(/generator\.profile\.rate/);
    });
  });

  describe('listShards', () => {
    it('lists the one shard generator-0', async () => {
      // Act
      const shards = await new GeneratorSource({ seed: 1, clock: new FakeClock() }).listShards();

      // Assess
      expect(shards).toEqual([{ shardId: 'generator-0', parentShardIds: [] }]);
    });
  });
});
