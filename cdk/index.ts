/**
 * `sluice/cdk`: the `StreamProcessor` construct, which deploys a pipeline on Kinesis, Lambda,
 * DynamoDB and S3 with its controller, dashboard and alarms.
 *
 * @example
 * import { StreamProcessor } from 'sluice/cdk';
 * new StreamProcessor(stack, 'Clicks', { appName: 'clicks', pipeline: 'src/clicks.ts' });
 *
 * @packageDocumentation
 */
export { StreamProcessor } from './stream-processor';
export type { StreamProcessorProps } from './stream-processor-props';
export { ProcessorSink } from './processor-sink';
export type { ProcessorSinkOptions, ProcessorSinkBinding } from './processor-sink';
export { StreamProcessorMonitoring } from './stream-processor-monitoring';
export type { MonitoredStage, StageAlarms, StreamProcessorMonitoringProps } from './stream-processor-monitoring';
export { SluiceFunction } from './sluice-function';
export type { SluiceFunctionProps } from './sluice-function';
export { SluiceMetrics } from './sluice-metrics';
