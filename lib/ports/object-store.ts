/**
 * Durable blobs: the write-ahead log, state snapshots and deltas, quarantined records and received blocks. S3 in the cloud,
 * a directory on local disk, a Map in tests. Keys use `/` as separator.
 */
export interface ObjectStore {
  /**
   * Creates `key` with `body` only if it does not exist yet (S3 `If-None-Match: *`, a hard link on
   * disk). Returns `true` when this call created it and `false` when it already existed, in which
   * case the stored body is left unchanged. This create-only write is what allocates a batch.
   */
  putIfAbsent(key: string, body: Uint8Array): Promise<boolean>;

  /** Reads `key`, or `undefined` when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;

  /**
   * Reads bytes `[start, end)` of `key` (fewer when the object ends before `end`), or `undefined`
   * when it does not exist: parallel ranged GETs of a big state snapshot.
   */
  getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined>;

  /** Lists keys starting with `prefix`, in lexicographic order. */
  list(prefix: string): Promise<string[]>;

  /** Deletes `key`; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
}
