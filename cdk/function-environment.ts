/**
 * Environment variables {@link StreamProcessor} sets on its functions: the contract between the
 * construct and `functions/*.ts`, which check them once at cold start. The names are the ones the
 * functions read: see `loadProcessorConfig` (lib/runtime/lambda/processor-config.ts) and
 * `loadControllerConfig` (lib/runtime/controller/controller-config.ts).
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
  /** CloudWatch namespace of the EMF metrics (read by Powertools Metrics). */
  METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** The controller's variables, as `loadControllerConfig` reads them. */
export const ControllerEnvironment = {
  APP: 'SLUICE_APP',
  TABLE_NAME: 'SLUICE_TABLE_NAME',
  /** How often the controller recomputes rates within one invocation, milliseconds. */
  CONTROL_INTERVAL_MS: 'SLUICE_CONTROL_INTERVAL_MS',
  /** The batch interval (the mapping's batching window), milliseconds: the PID's sample period. */
  BATCH_INTERVAL_MS: 'SLUICE_BATCH_INTERVAL_MS',
  /** The static limit, so the controller never publishes a rate above it; absent when there is none. */
  MAX_RATE_PER_SHARD: 'SLUICE_MAX_RATE_PER_SHARD',
  /** UUID of the processor's event source mapping, which the controller retunes. */
  EVENT_SOURCE_MAPPING_ID: 'SLUICE_EVENT_SOURCE_MAPPING_ID',
  /** The processor function, which the controller invokes for idle ticks; absent = no idle ticks. */
  PROCESSOR_FUNCTION_NAME: 'SLUICE_PROCESSOR_FUNCTION_NAME',
  /** How long a shard commits nothing before the controller may tick it, milliseconds. */
  IDLE_TICK_AFTER_MS: 'SLUICE_IDLE_TICK_AFTER_MS',
} as const;
