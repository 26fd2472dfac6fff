/**
 * `sluice/lambda`: the handler factories of sluice's two Lambda functions, for an entry of your own.
 * The `StreamProcessor` construct (`sluice/cdk`) generates both entries; write one only to change
 * what the handler is built from (a logger, the clients).
 *
 * @example
 * // src/processor.ts: the processor of pipelines/clicks.ts
 * import { createProcessorHandler } from 'sluice/lambda';
 * import clicks from './pipelines/clicks';
 * export const handler = createProcessorHandler(clicks);
 *
 * @packageDocumentation
 */
export { createProcessorHandler } from './compose/create-processor-handler';
export type { ProcessorHandler, ProcessorHandlerDeps } from './compose/create-processor-handler';
export type { ProcessorConfig } from './runtime/lambda/processor-config';
export type { IdleTickEvent } from './core/idle-tick-event';
export { createLambdaControllerHandler } from './compose/create-lambda-controller-handler';
export type { LambdaControllerHandler, LambdaControllerDeps } from './compose/create-lambda-controller-handler';
export type { ControllerRunSummary } from './runtime/controller/create-controller-handler';
