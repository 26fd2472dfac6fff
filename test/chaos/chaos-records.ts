import type { SourceRecord } from '../../lib/core/source-record';

/** What a record is made to test: counted, or quarantined by the user's code, the decoder, or its size. */
export type ChaosRecordKind = 'ok' | 'poison' | 'undecodable' | 'oversized';

/** A source record of a chaos schedule, with what the oracle needs to account for it. */
export interface ChaosRecord extends SourceRecord {
  readonly kind: ChaosRecordKind;
  /** A word only this record holds: its count in the final state says how often the record counted. */
  readonly marker: string;
  /** The words the record adds to the count when it counts (marker included); empty unless `ok`. */
  readonly words: readonly string[];
}

/** How a shard's log is drawn. */
export interface ShardLogOptions {
  readonly shardIndex: number;
  readonly count: number;
  /** `small`: 1, 2, 3, ...; `kinesis`: 56-digit numbers with random gaps, as Kinesis hands out. */
  readonly seqStyle: 'small' | 'kinesis';
  readonly poisonRate: number;
  readonly undecodableRate: number;
  readonly oversizedRate: number;
  /** Records longer than this are oversized (the processor's `maxRecordBytes`). */
  readonly maxRecordBytes: number;
}

const VOCABULARY = ['to', 'be', 'or', 'not', 'that', 'is', 'the', 'question', 'whether', 'tis', 'nobler'];
const KINESIS_FIRST_SEQ = 49590338271490256608559692538361571095921575989136588898n;
const encoder = new TextEncoder();

/** The word the chaos pipeline throws on: a poison pill in the user's code. */
export const POISON_WORD = 'poison';

/** Draws one shard's log: records in sequence order, each of a kind, each with a unique marker. */
export function drawShardLog(random: () => number, options: ShardLogOptions): ChaosRecord[] {
  const records: ChaosRecord[] = [];
  let seq = options.seqStyle === 'small' ? 1n : KINESIS_FIRST_SEQ + BigInt(Math.floor(random() * 1_000));
  for (let i = 0; i < options.count; i++) {
    const marker = `m${options.shardIndex}x${i}`;
    const words = [marker, ...Array.from({ length: Math.floor(random() * 6) }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)]!)];
    const kind = drawKind(random(), options);
    const base = { seq: seq.toString(), arrivalMs: 1_700_000_000_000 + i, partitionKey: `pk-${Math.floor(random() * 4)}`, marker };
    switch (kind) {
      case 'ok':
        records.push({ ...base, kind, words, data: encoder.encode(words.join(' ')) });
        break;
      case 'poison':
        records.push({ ...base, kind, words: [], data: encoder.encode(`${marker} ${POISON_WORD} ${words.slice(1).join(' ')}`) });
        break;
      case 'undecodable':
        // 0xff never appears in UTF-8.
        records.push({ ...base, kind, words: [], data: new Uint8Array([...encoder.encode(marker), 0xff, 0xfe]) });
        break;
      case 'oversized':
        records.push({ ...base, kind, words: [], data: encoder.encode(`${marker} ${'x'.repeat(options.maxRecordBytes)}`) });
        break;
    }
    seq += options.seqStyle === 'small' ? 1n : 1n + BigInt(Math.floor(random() * 100_000));
  }
  return records;
}

function drawKind(draw: number, o: ShardLogOptions): ChaosRecordKind {
  if (draw < o.poisonRate) return 'poison';
  if (draw < o.poisonRate + o.undecodableRate) return 'undecodable';
  if (draw < o.poisonRate + o.undecodableRate + o.oversizedRate) return 'oversized';
  return 'ok';
}
