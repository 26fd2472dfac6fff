import type { DecodedBatch, UndecodableRecord } from '../engine/decode-records';
import { ConfigError } from '../errors';
import type { SourceRecord } from '../source-record';
import { decodeChunk, type ExchangeChunk } from './exchange-chunks';
import { eventInputWatermark, inputWatermark, receiveChunks, type ReceiverState } from './exchange-receiver';

/** A receiving stage's batch: the elements of its new chunks, the marks to commit, and its time. */
export interface ExchangeBatch {
  readonly decoded: DecodedBatch;
  readonly state: ReceiverState;
  /** The least progress over `origins`; undefined while one of them has none. */
  readonly inputWatermarkMs: number | undefined;
  readonly duplicates: number;
  /** The partition this shard holds: the one its chunks name (or held before), undefined while none named one. */
  readonly partition: readonly [index: number, partitions: number] | undefined;
}

/**
 * Decodes a receiving stage's records (exchange chunks) into the pipeline's input: each chunk applied
 * before is dropped ({@link receiveChunks}); a record that is not a chunk is set aside as
 * undecodable. Elements keep the time they carried across the exchange as their arrival time (their
 * event time, with `eventTime`).
 */
export function decodeExchangeBatch(
  records: readonly SourceRecord[],
  state: ReceiverState,
  origins: readonly string[],
  eventTime = false,
  held?: readonly [number, number],
): ExchangeBatch {
  const undecodable: UndecodableRecord[] = [];
  const chunks: Array<{ record: number; chunk: ExchangeChunk }> = [];
  let partition = held;
  for (let i = 0; i < records.length; i++) {
    const chunk = decodeChunk(records[i]!.data);
    if (typeof chunk === 'string') {
      undecodable.push({ index: i, reason: chunk });
      continue;
    }
    // One partition per shard: its keys' state is here. Two on one shard (merged exchange shards,
    // or a new partition count) would mix partitions' marks and move keys away from their state.
    const p = chunk.partition;
    if (p !== undefined) {
      if (partition !== undefined && (p[0] !== partition[0] || p[1] !== partition[1])) throw new ExchangePartitionError(partition, p);
      partition = p;
    }
    chunks.push({ record: i, chunk });
  }
  const received = receiveChunks(
    state,
    chunks.map((c) => c.chunk),
  );
  const elements: unknown[] = [];
  const arrivalsMs: number[] = [];
  const recordIndex: number[] = [];
  chunks.forEach(({ record, chunk }, j) => {
    if (!received.accept[j]) return;
    for (const [element, timeMs] of chunk.elements) {
      elements.push(element);
      arrivalsMs.push(timeMs);
      recordIndex.push(record);
    }
  });
  // Every origin that has sent is an origin, listed or not: a child of a split or merge that the
  // receiver's list does not hold yet joins with its first chunk (docs/decisions/0015, Resharding).
  const all = exchangeOrigins(origins, received.state);
  // An event-time window after the exchange: its time is the event time every origin has passed.
  const time = eventTime ? eventInputWatermark(received.state, all) : { watermarkMs: inputWatermark(received.state, all), state: received.state };
  return {
    decoded: { elements, arrivalsMs, recordIndex, undecodable },
    state: time.state,
    inputWatermarkMs: time.watermarkMs,
    duplicates: received.duplicates,
    partition,
  };
}

/** A receiving shard got chunks of a partition other than the one it holds: stop, set nothing aside (docs/decisions/0015). */
export class ExchangePartitionError extends ConfigError {
  constructor(held: readonly [number, number], got: readonly [number, number]) {
    super(
      'exchange',
      `a shard holding partition ${held[0]} of ${held[1]} received a chunk of partition ${got[0]} of ${got[1]}: ` +
        (held[1] === got[1]
          ? "two exchange shards were merged, and a partition must have a shard of its own (its keys' state is there); split the merged shard again at the partitions' boundary"
          : "the pipeline's partition count changed, which moves keys away from their state; run it under a new app name"),
    );
  }
}

/** The origins a receiving stage waits for: those listed, then any other that has a mark (it sent), in a stable order. */
export function exchangeOrigins(listed: readonly string[], state: ReceiverState): string[] {
  const all = new Set(listed);
  for (const o of Object.keys(state).sort()) all.add(o);
  return [...all];
}
