/**
 * Every error sluice throws derives from {@link SluiceError}: it says whether a retry can help
 * (`retryable`) and keeps the underlying `cause`. Subclasses carry the context an operator needs.
 */
export class SluiceError extends Error {
  /** True when the same call may succeed if tried again (throttling, a 5xx, a lost race). */
  readonly retryable: boolean;

  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * A user-facing configuration value is out of range or malformed. Names the field, the value and the rule.
 *
 * @example
 * try {
 *   pipeline('Word Count');
 * } catch (error) {
 *   if (error instanceof ConfigError) console.error(error.message); // pipeline.name: must be 1-40 lowercase letters, ...
 * }
 */
export class ConfigError extends SluiceError {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/**
 * A conditional commit lost: another invocation committed this shard first, or this one is stale.
 * The caller re-reads the checkpoint; it never retries the same write.
 */
export class FencedError extends SluiceError {
  readonly shardId: string | undefined;
  readonly expectedBatchNo: number | undefined;
  readonly reasons: readonly ConditionFailure[];

  constructor(message: string, context: { shardId?: string; expectedBatchNo?: number; reasons?: readonly ConditionFailure[]; cause?: unknown } = {}) {
    super(message, { cause: context.cause, retryable: false });
    this.shardId = context.shardId;
    this.expectedBatchNo = context.expectedBatchNo;
    this.reasons = context.reasons ?? [];
  }
}

/** One failed condition inside a transaction: which write (by index) and the version found instead. */
export interface ConditionFailure {
  readonly index: number;
  readonly pk: string;
  readonly sk: string;
  /** Version of the item found by the store, or `undefined` when the item does not exist. */
  readonly actualVersion: number | undefined;
}

/** A backend asked us to slow down (DynamoDB/Kinesis throttling, S3 SlowDown). Always retryable. */
export class ThrottledError extends SluiceError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
  }
}

/**
 * A shard's state outgrew the memory of the process that must hold it (a Lambda function's memory
 * size, Node's heap locally). A limit of the system: the shard stops with this error, and no record
 * is set aside for it. Names the estimate, the budget and what to change.
 */
export class StateLimitError extends SluiceError {
  readonly shardId: string;
  readonly estimatedBytes: number;
  readonly budgetBytes: number;

  constructor(shardId: string, estimatedBytes: number, budgetBytes: number, message: string) {
    super(message);
    this.shardId = shardId;
    this.estimatedBytes = estimatedBytes;
    this.budgetBytes = budgetBytes;
  }
}

/**
 * A sink (`foreachBatch`) threw on a batch: the one failure that points at a batch's content, so the
 * one that counts towards setting the batch aside (docs/decisions/0006, 0008). Retryable when what
 * the sink threw is (a throttle, a timeout): then it does not count.
 */
export class SinkError extends SluiceError {
  readonly operatorId: string;
  readonly batchId: string;

  constructor(operatorId: string, batchId: string, cause: unknown, options: { retryable: boolean }) {
    super(`sink ${operatorId} failed on batch ${batchId}: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, {
      cause,
      retryable: options.retryable,
    });
    this.operatorId = operatorId;
    this.batchId = batchId;
  }
}

/** The stored checkpoint does not belong to this pipeline (its graph changed incompatibly). */
export class GraphMismatchError extends SluiceError {}

/** A WAL object, checkpoint item or state bucket could not be decoded. Data, not code, is wrong. */
export class CorruptDataError extends SluiceError {
  readonly key: string;

  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super(`${key}: ${message}`, options);
    this.key = key;
  }
}

/** A read saw a checkpoint and state buckets from different commits; reading again resolves it. */
export class ReadRaceError extends SluiceError {
  constructor(message: string) {
    super(message, { retryable: true });
  }
}
