/**
 * The CloudWatch metrics the processor publishes as EMF, which the dashboard and alarms read.
 * Every metric carries one dimension, `service` = the app name (Powertools Metrics' default).
 */
export const SluiceMetrics = {
  NAMESPACE: 'sluice',
  SERVICE_DIMENSION: 'service',
  /** Records in a committed batch (Count). */
  RECORDS: 'Records',
  /** Start of compute to end of commit, per batch (Milliseconds). */
  PROCESSING_DELAY: 'ProcessingDelay',
  /** Processing start minus the batch's scheduled time (Milliseconds). */
  SCHEDULING_DELAY: 'SchedulingDelay',
  /** Rate limit in force for the batch (Count/Second). */
  RATE_LIMIT: 'RateLimit',
  /** Records set aside in the quarantine (Count). */
  QUARANTINED_RECORDS: 'QuarantinedRecords',
} as const;
