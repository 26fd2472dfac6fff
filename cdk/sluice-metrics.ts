import { BATCH_METRICS } from '../lib/adapters/aws/emf-metrics';

/**
 * Where the processor's EMF metrics land (see `EmfMetrics`): one document per committed batch with
 * the dimensions `service` (the app) and `ShardId`. No metric has the app alone as its dimension
 * set, so the dashboard sums the shards with SEARCH and the alarms with Metrics Insights.
 *
 * @example
 * // records per minute of one shard of the app 'clicks', for a graph of your own
 * new Metric({ namespace: SluiceMetrics.NAMESPACE, metricName: SluiceMetrics.records, statistic: 'Sum',
 *   dimensionsMap: { [SluiceMetrics.SERVICE_DIMENSION]: 'clicks', [SluiceMetrics.SHARD_DIMENSION]: 'shardId-000000000000' } });
 */
export const SluiceMetrics = {
  /** Set on the processor as `POWERTOOLS_METRICS_NAMESPACE`, so the functions and the dashboard agree. */
  NAMESPACE: 'sluice',
  SERVICE_DIMENSION: 'service',
  SHARD_DIMENSION: 'ShardId',
  ...BATCH_METRICS,
} as const;

/** A SEARCH expression over every shard's `metricName` of `app`, one series per shard. */
export function searchShards(app: string, metricName: string, statistic: string, periodSeconds: number): string {
  const schema = `{${SluiceMetrics.NAMESPACE},${SluiceMetrics.SERVICE_DIMENSION},${SluiceMetrics.SHARD_DIMENSION}}`;
  return `SEARCH('${schema} MetricName="${metricName}" ${SluiceMetrics.SERVICE_DIMENSION}="${app}"', '${statistic}', ${periodSeconds})`;
}

/** A Metrics Insights query of `aggregate(metricName)` over every shard of `app`: one series, so an alarm can watch it. */
export function insightsQuery(app: string, metricName: string, aggregate: 'SUM' | 'MAX' | 'AVG'): string {
  const { NAMESPACE, SERVICE_DIMENSION, SHARD_DIMENSION } = SluiceMetrics;
  return `SELECT ${aggregate}(${metricName}) FROM SCHEMA("${NAMESPACE}", ${SERVICE_DIMENSION}, ${SHARD_DIMENSION}) WHERE ${SERVICE_DIMENSION} = '${app}'`;
}
