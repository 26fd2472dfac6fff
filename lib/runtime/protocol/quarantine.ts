import { padSeq, type SourceRecord } from '../../core/source-record';
import type { ObjectStore } from '../../ports/object-store';
import { StorageKeys } from './storage-keys';

/** A record (or derived element) set aside instead of blocking its shard, with the reason. */
export interface QuarantineEntry {
  readonly app: string;
  readonly shardId: string;
  readonly batchNo: number;
  /** Sequence number of the source record, when the failure can be traced to one. */
  readonly seq?: string;
  readonly partitionKey?: string;
  /** Where it failed: `decode`, or the pipeline stage/operator. */
  readonly stage: string;
  readonly reason: string;
  readonly stack?: string;
  /** The record's bytes, base64. */
  readonly data?: string;
  /** The derived element that failed, as JSON, when the failure is past the input stage. */
  readonly element?: string;
}

/**
 * Writes quarantine entries to `quarantine/{app}/{shard}/{batchNo:020}-{n:06}`. Keys are fixed by
 * the batch, and writes are create-only, so a re-run of the same batch writes nothing twice.
 */
export class Quarantine {
  readonly #objects: ObjectStore;

  constructor(objects: ObjectStore) {
    this.#objects = objects;
  }

  /** Writes the entries of a batch's computation, numbered in the order the batch produced them. */
  async write(entries: readonly QuarantineEntry[]): Promise<void> {
    await Promise.all(entries.map((entry, n) => this.#put(entry, String(n).padStart(6, '0'))));
  }

  /**
   * Writes entries of records set aside outside a batch's computation, keyed by their sequence number
   * (`{batchNo:020}-seq-{seq:060}`) so they never collide with the batch's own entries. Returns how
   * many were written now (the others existed: a re-run wrote them before).
   */
  async writeOrphans(entries: readonly QuarantineEntry[]): Promise<number> {
    const created = await Promise.all(entries.map((entry) => this.#put(entry, `seq-${padSeq(entry.seq!)}`)));
    return created.filter(Boolean).length;
  }

  /** Writes entries under names of the caller's (`{batchNo:020}-{name}`), fixed by the batch: a re-run writes nothing twice. */
  async writeNamed(entries: ReadonlyArray<{ readonly name: string; readonly entry: QuarantineEntry }>): Promise<void> {
    await Promise.all(entries.map(({ name, entry }) => this.#put(entry, name)));
  }

  #put(entry: QuarantineEntry, what: string): Promise<boolean> {
    return this.#objects.putIfAbsent(
      StorageKeys.quarantineKey(entry.app, entry.shardId, entry.batchNo, what),
      new TextEncoder().encode(JSON.stringify(entry, null, 2)),
    );
  }

  /** Builds the entry of a source record. */
  static ofRecord(base: { app: string; shardId: string; batchNo: number; stage: string }, record: SourceRecord, error: unknown): QuarantineEntry {
    return {
      ...base,
      seq: record.seq,
      partitionKey: record.partitionKey,
      data: Buffer.from(record.data).toString('base64'),
      ...describeError(error),
    };
  }
}

export function describeError(error: unknown): { reason: string; stack?: string } {
  if (error instanceof Error) return { reason: `${error.name}: ${error.message}`, stack: error.stack };
  return { reason: String(error) };
}
