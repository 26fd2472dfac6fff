/**
 * Environment variables {@link StreamProcessor} sets on its functions: the contract between the
 * construct and `functions/*.ts`, which read them once at cold start.
 */
export const FunctionEnvironment = {
  /** The app (pipeline) name: partition of its checkpoints, prefix of its WAL. */
  APP: 'SLUICE_APP',
  /** The checkpoint table (see `DynamoDbCheckpointStore`). */
  TABLE_NAME: 'SLUICE_TABLE_NAME',
  /** The bucket of the WAL and the quarantine (see `S3ObjectStore`). */
  BUCKET_NAME: 'SLUICE_BUCKET_NAME',
  /** `true` or `false`. */
  WAL_ENABLED: 'SLUICE_WAL_ENABLED',
  /** Static limit, records per second per shard; absent when there is none. */
  MAX_RATE_PER_SHARD: 'SLUICE_MAX_RATE_PER_SHARD',
  /** The batch interval (the mapping's batching window), milliseconds. */
  BATCH_INTERVAL_MS: 'SLUICE_BATCH_INTERVAL_MS',
  /** UUID of the processor's event source mapping, which the controller retunes. */
  EVENT_SOURCE_MAPPING_ID: 'SLUICE_EVENT_SOURCE_MAPPING_ID',
  /** How often the controller recomputes rates within one invocation, milliseconds. */
  CONTROL_INTERVAL_MS: 'SLUICE_CONTROL_INTERVAL_MS',
  /** CloudWatch namespace of the EMF metrics (read by Powertools Metrics). */
  METRICS_NAMESPACE: 'POWERTOOLS_METRICS_NAMESPACE',
  /** Powertools' service name, the `service` dimension of every metric: the app name. */
  SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
} as const;
