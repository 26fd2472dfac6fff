/**
 * Environment variables of the two functions: the contract between the `StreamProcessor` construct,
 * which sets them, and `loadProcessorConfig` / `loadControllerConfig`, which read and check them once
 * at cold start. Both sides use these constants; no variable name is written anywhere else.
 */
export const ProcessorEnvironment = {
  /** The app: partition of its checkpoints, prefix of its WAL and quarantine keys. */
  APP_NAME: 'APP_NAME',
  /** Name of the pipeline bundled into the function; a mismatch fails at cold start, not in the state. */
  PIPELINE: 'PIPELINE',
  TABLE_NAME: 'TABLE_NAME',
  BUCKET_NAME: 'BUCKET_NAME',
  /** `true` or `false`. */
  WAL_ENABLED: 'WAL_ENABLED',
  /** Static limit, records per second per shard; absent when there is none. */
  MAX_RATE_PER_SHARD: 'MAX_RATE_PER_SHARD',
  /** The mapping's MaximumBatchingWindowInSeconds: the part of a batch's wait that is by design. */
  BATCHING_WINDOW_SECONDS: 'BATCHING_WINDOW_SECONDS',
  /** Failed attempts of one batch before it is set aside. */
  MAX_BATCH_ATTEMPTS: 'MAX_BATCH_ATTEMPTS',
  /** CloudWatch namespace of the EMF metrics (read by Powertools Metrics). */
  METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
  /**
   * Which stage of a pipeline with exchanges (keyBy/global, docs/decisions/0015) this function runs:
   * 0 reads the source, i+1 the exchange stage i sends to. Its app is `{APP_NAME}.s{i}` (stage 0
   * keeps APP_NAME). Absent = 0, the only stage of a pipeline without exchanges.
   */
  STAGE: 'SLUICE_STAGE',
  /** A sending stage: the Kinesis exchange stream (its name) it puts its chunks on; one open shard per partition. */
  EXCHANGE_STREAM: 'SLUICE_EXCHANGE_STREAM',
  /**
   * A receiving stage: the stream the previous stage reads (its name). Its open shards, listed
   * once at cold start (ListShards), are the origins whose progress the stage's windows wait for.
   */
  EXCHANGE_ORIGINS_STREAM: 'SLUICE_EXCHANGE_ORIGINS_STREAM',
  /**
   * The exchanges the stack deployed, as the partitions of each in order (`4,1`): set by the
   * construct on every function of a `processorEntry` with `exchangeShardCounts`, whose layout it
   * took on trust. The pipeline bundled in must have exactly these exchanges, or the function fails
   * at cold start. Absent = not checked (a `pipeline` prop's layout is read off the module bundled).
   */
  EXCHANGE_PARTITIONS: 'SLUICE_EXCHANGE_PARTITIONS',
} as const;

/** The controller's variables, as `loadControllerConfig` reads them. */
export const ControllerEnvironment = {
  APP: 'SLUICE_APP',
  TABLE_NAME: 'SLUICE_TABLE_NAME',
  /** How often the controller loop runs a round within one invocation, milliseconds. */
  CONTROL_INTERVAL_MS: 'SLUICE_CONTROL_INTERVAL_MS',
  /** Longest one invocation loops, milliseconds. */
  LOOP_BUDGET_MS: 'SLUICE_CONTROLLER_BUDGET_MS',
  /** The batch interval (the mapping's batching window), milliseconds: the PID's sample period. */
  BATCH_INTERVAL_MS: 'SLUICE_BATCH_INTERVAL_MS',
  /** `sluice` or `pid`. */
  RATE_ESTIMATOR: 'SLUICE_RATE_ESTIMATOR',
  /** The static limit, so the controller never publishes a rate above it; absent when there is none. */
  MAX_RATE_PER_SHARD: 'SLUICE_MAX_RATE_PER_SHARD',
  PID_PROPORTIONAL: 'SLUICE_PID_PROPORTIONAL',
  PID_INTEGRAL: 'SLUICE_PID_INTEGRAL',
  PID_DERIVATIVE: 'SLUICE_PID_DERIVATIVE',
  PID_MIN_RATE: 'SLUICE_PID_MIN_RATE',
  /** UUID of the processor's event source mapping, which the controller retunes. */
  EVENT_SOURCE_MAPPING_ID: 'SLUICE_EVENT_SOURCE_MAPPING_ID',
  ESM_MIN_UPDATE_INTERVAL_SECONDS: 'SLUICE_ESM_MIN_UPDATE_INTERVAL_SECONDS',
  ESM_CHANGE_FACTOR: 'SLUICE_ESM_CHANGE_FACTOR',
  /** The processor function, which the controller invokes for idle-tick batches; absent = none. */
  PROCESSOR_FUNCTION_NAME: 'SLUICE_PROCESSOR_FUNCTION_NAME',
  /** How long a shard commits nothing before the controller may send it an idle-tick batch, milliseconds. */
  IDLE_TICK_AFTER_MS: 'SLUICE_IDLE_TICK_AFTER_MS',
  /** The stage of a pipeline with exchanges whose shards this controller controls: its app is `{SLUICE_APP}.s{i}`. Absent = 0. */
  STAGE: 'SLUICE_STAGE',
} as const;
