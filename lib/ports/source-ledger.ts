/** Where a shard's offsets stand, as the app's checkpoint and write-ahead log say. */
export interface ShardPositions {
  /** Highest committed sequence number; `null` before the first commit. */
  readonly committedSeq: string | null;
  /**
   * Highest sequence number the app has taken from the source: the committed one, or the last record
   * of a batch allocated in the WAL and not committed yet, which is re-run before anything newer.
   */
  readonly takenSeq: string | null;
}

/**
 * What a local source may read of the app's checkpoint, and keep next to it, so that at start it can
 * tell whether its input is still the log the offsets are positions in: a file replaced under the
 * same path, or a receiver log whose newest blocks were deleted, would otherwise be read from
 * positions that name other records, and the records at or below them dropped as redeliveries.
 */
export interface SourceLedger {
  /** The app whose offsets these are (named in messages). */
  readonly app: string;

  positions(shardId: string): Promise<ShardPositions>;

  /** What the source noted about `shardId`'s input (its own format), or `undefined` when nothing yet. */
  note(shardId: string): Promise<string | undefined>;

  /** Replaces the note of `shardId`. Durable when it resolves. */
  keepNote(shardId: string, note: string): Promise<void>;
}
