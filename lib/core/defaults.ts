/** Defaults, each with the reason for its value. Options documents refer here by name. */

/** Spark Streaming's most common batch interval; small enough to feel live, big enough to amortize a commit. */
export const DEFAULT_BATCH_INTERVAL_MS = 1_000;

/**
 * State buckets shared by a pipeline's stateful operators, per shard. 64 keeps each item far below
 * DynamoDB's 400 KB at a few MB of state, and leaves room for the checkpoint in a 100-item commit.
 */
export const DEFAULT_STATE_BUCKETS_TOTAL = 64;

/** Items of a commit that are not state buckets: the shard's checkpoint and its registry entry. */
export const COMMIT_OVERHEAD_ITEMS = 2;

/** Largest serialized bucket we write: DynamoDB's 400 KB item limit minus room for keys and attributes. */
export const MAX_BUCKET_BYTES = 380 * 1024;

/** Largest commit we send: DynamoDB's 4 MB transaction limit minus a margin for the checkpoint. */
export const MAX_COMMIT_BYTES = 3_900 * 1024;

/** Records printed by `print()` with no argument, as in Spark. */
export const DEFAULT_PRINT_COUNT = 10;

/** Kinesis' largest record by default (1 MiB); bigger ones are quarantined as oversized. */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

/** DynamoDB's TransactWriteItems limit; every checkpoint backend enforces it so tests catch it locally. */
export const MAX_TRANSACT_ITEMS = 100;

/** Token bucket size in seconds of the rate: one second lets a 1 s batch take its full allowance at once. */
export const DEFAULT_RATE_BURST_SECONDS = 1;

/** Most records the local driver reads for one batch when no rate applies: bounds memory per batch. */
export const DEFAULT_MAX_RECORDS_PER_BATCH = 100_000;

/**
 * Failed attempts of one batch before its records are quarantined and the shard moves on. Five
 * rides out a sink's brief outage (each retry waits a batch interval or the ESM's backoff) while a
 * poison batch costs its shard seconds, not the stream's retention (Lambda's default retries forever).
 */
export const DEFAULT_MAX_BATCH_ATTEMPTS = 5;
