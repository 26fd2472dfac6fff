import type { SourceRecord } from '../core/source-record';

/**
 * A replayable, ordered log of records per shard: Kinesis, a file, a seeded generator, or the
 * receiver log that makes stdin and sockets replayable. Sequence numbers are decimal strings that
 * grow within a shard (compared as BigInt).
 */
export interface Source {
  /**
   * What the sequence numbers are positions in (a file's absolute path, a stream's ARN). A shard's
   * checkpoint keeps it, and refuses the records of another source under the same shard id, whose
   * sequence numbers would be compared with offsets they have nothing to do with. @default - unchecked
   */
  readonly id?: string;

  /** Shards to read, in the order parents come before children. */
  listShards(): Promise<ShardInfo[]>;

  /**
   * Returns up to `maxRecords` records of `shardId` with a sequence number greater than `afterSeq`
   * (from the start when `afterSeq` is undefined). `endOfShard` is true once the shard is closed and
   * fully read; `endOfData` is true when a finite source (a file) has nothing more to give.
   */
  read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult>;

  /**
   * Tells the source that every record of `shardId` up to `seq` is committed, so a receiver may
   * delete what it kept only for replay. Optional: replayable logs (Kinesis, files) ignore it.
   */
  committed?(shardId: string, seq: string): Promise<void>;

  /** Stops receivers and releases handles. */
  close?(): Promise<void>;
}

export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardIds: readonly string[];
  /** A split or merge closed it: it takes no more records, and ends once read. Absent when the source does not say. */
  readonly closed?: boolean;
}

export interface ReadResult {
  readonly records: SourceRecord[];
  readonly endOfShard: boolean;
  readonly endOfData: boolean;
  /** How far behind the tip of the shard the last record is, when the source knows. */
  readonly millisBehind?: number;
}

/** An open shard's range of 128-bit hash keys. */
export interface HashRange {
  readonly shardId: string;
  readonly start: bigint;
  readonly end: bigint;
}
