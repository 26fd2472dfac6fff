/** Defaults, each with the reason for its value. Options documents refer here by name. */

/** Spark Streaming's most common batch interval; small enough to feel live, big enough to amortize a commit. */
export const DEFAULT_BATCH_INTERVAL_MS = 1_000;

/**
 * Deltas after which a shard writes a full snapshot of its state instead of the next delta: bounds
 * the objects a cold start reads (one snapshot + at most this many deltas, fetched in parallel) and
 * keeps the checkpoint's manifest small. With one batch a second, a busy shard snapshots about every
 * 100 s, where writing even a million-key state costs about a second of CPU.
 */
export const DEFAULT_MAX_DELTAS_PER_SNAPSHOT = 100;

/**
 * A snapshot is also written once the deltas since the last one weigh this fraction of it: a cold
 * start then reads at most about twice the state's size, and the CPU spent on snapshots stays
 * below the CPU spent on deltas. A small state thus snapshots almost every batch — which costs the
 * same one S3 PUT as a delta.
 */
export const DEFAULT_SNAPSHOT_DELTA_RATIO = 1;

/**
 * Serialized bytes per part of a state object (snapshot or delta): each part is one gzip member
 * holding one JSON array, parsed alone, so loading never builds one string of the whole state.
 */
export const STATE_PART_BYTES = 1024 * 1024;

/** Snapshots up to this size load with one GET; bigger ones with parallel ranged GETs of this size. */
export const STATE_RANGE_BYTES = 8 * 1024 * 1024;

/** Concurrent GETs while loading a shard's state (ranges of a snapshot, deltas). */
export const STATE_LOAD_CONCURRENCY = 8;

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
