/**
 * The checkpoint: a small transactional key-value store holding offsets, state buckets, control
 * items and stats. DynamoDB in the cloud, SQLite on local disk, a Map in tests.
 *
 * Items live under a partition key `pk` and a sort key `sk`; each carries a `version` (a number the
 * writer chooses, usually the batch number) and an opaque `data` string serialized by the runtime.
 * Every read is strongly consistent.
 */
export interface CheckpointStore {
  /** Reads one item, or `undefined` when it does not exist. */
  get(pk: string, sk: string): Promise<StoredItem | undefined>;

  /** Reads every item of partition `pk` whose sort key starts with `skPrefix`, ordered by `sk`. */
  query(pk: string, skPrefix?: string): Promise<StoredItem[]>;

  /**
   * Applies all writes atomically, or none of them.
   *
   * Throws `FencedError` (with one `ConditionFailure` per failed condition) when any condition does
   * not hold, and `ThrottledError` when the backend asks to slow down. At most
   * {@link MAX_TRANSACT_ITEMS} writes, each to a distinct item.
   */
  transact(writes: readonly TransactWrite[]): Promise<void>;

  /** Releases connections and file handles. */
  close?(): Promise<void>;
}

export { MAX_TRANSACT_ITEMS } from '../core/defaults';

/** One item as stored. */
export interface StoredItem {
  readonly pk: string;
  readonly sk: string;
  readonly version: number;
  readonly data: string;
}

/**
 * The condition a write requires of the item's current state:
 * `{ absent: true }` = it must not exist; `{ version: n }` = it must exist with version `n`.
 */
export type WriteCondition = { readonly absent: true } | { readonly version: number };

/** A write inside a transaction. `check` asserts a condition on an item without changing it. */
export type TransactWrite =
  | { readonly kind: 'put'; readonly item: StoredItem; readonly condition?: WriteCondition }
  | { readonly kind: 'delete'; readonly pk: string; readonly sk: string; readonly condition?: WriteCondition }
  | { readonly kind: 'check'; readonly pk: string; readonly sk: string; readonly condition: WriteCondition };
