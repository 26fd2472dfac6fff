import { Metrics as PowertoolsMetrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BatchStats } from '../../core/batch-stats';
import type { Metrics } from '../../ports/metrics';

/** Options of {@link EmfMetrics}. */
export interface EmfMetricsOptions {
  /** The app: the `service` dimension of every metric. */
  readonly app: string;
  /** @default `POWERTOOLS_METRICS_NAMESPACE`, else `sluice` */
  readonly namespace?: string;
  /** A Powertools instance to publish through (tests pass their own). @default one built from the options */
  readonly metrics?: PowertoolsMetrics;
}

/** Name of each metric published per committed batch; the CDK dashboard and alarms use these. */
export const BATCH_METRICS = {
  records: 'Records',
  processingMs: 'ProcessingMs',
  schedulingDelayMs: 'SchedulingDelayMs',
  millisBehind: 'MillisBehind',
  quarantined: 'Quarantined',
  /** One key's values set aside after a barrier (the record's other keys applied): docs/decisions/0014. */
  quarantinedElements: 'QuarantinedElements',
  /** The rate limit the batch was cut under, records/s per shard: the lower of the static limit and the published rate. */
  rateLimit: 'RateLimit',
} as const;

/**
 * The {@link Metrics} port on CloudWatch Embedded Metric Format, through Powertools for AWS Lambda:
 * one EMF document per committed batch, written to stdout, where Lambda's log agent turns it into
 * metrics with no API call on the critical path. Dimensions: `service` (the app) and `ShardId`;
 * the batch number rides along as metadata, searchable in Logs Insights but no dimension.
 */
export class EmfMetrics implements Metrics {
  readonly #metrics: PowertoolsMetrics;

  constructor(options: EmfMetricsOptions) {
    this.#metrics =
      options.metrics ??
      new PowertoolsMetrics({ namespace: options.namespace ?? (process.env.POWERTOOLS_METRICS_NAMESPACE || 'sluice'), serviceName: options.app });
  }

  batchCommitted(stats: BatchStats): void {
    const m = this.#metrics;
    m.addDimension('ShardId', stats.shardId);
    m.addMetric(BATCH_METRICS.records, MetricUnit.Count, stats.records);
    m.addMetric(BATCH_METRICS.processingMs, MetricUnit.Milliseconds, stats.processingMs);
    m.addMetric(BATCH_METRICS.schedulingDelayMs, MetricUnit.Milliseconds, stats.schedulingDelayMs);
    if (stats.millisBehind !== undefined) m.addMetric(BATCH_METRICS.millisBehind, MetricUnit.Milliseconds, stats.millisBehind);
    m.addMetric(BATCH_METRICS.quarantined, MetricUnit.Count, stats.quarantined);
    if ((stats.quarantinedElements ?? 0) > 0) m.addMetric(BATCH_METRICS.quarantinedElements, MetricUnit.Count, stats.quarantinedElements!);
    if (stats.rateLimit !== undefined) m.addMetric(BATCH_METRICS.rateLimit, MetricUnit.CountPerSecond, stats.rateLimit);
    m.addMetadata('batchNo', String(stats.batchNo));
    if (stats.replayed) m.addMetadata('replayed', 'true');
    // One document per batch, published at once: a crash later in the invocation loses nothing committed.
    m.publishStoredMetrics();
  }

  /** Records set aside outside a batch: one document with `Quarantined`, which the batches' documents do not count. */
  recordsQuarantined(shardId: string, count: number): void {
    const m = this.#metrics;
    m.addDimension('ShardId', shardId);
    m.addMetric(BATCH_METRICS.quarantined, MetricUnit.Count, count);
    m.publishStoredMetrics();
  }
}
