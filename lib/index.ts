/**
 * `sluice`: build a pipeline, then run it with `sluice run`, test it with `sluice/testing`, deploy
 * it with `sluice/cdk`.
 *
 * @example
 * // src/pipeline.ts
 * import { pipeline, topK } from 'sluice';
 *
 * export default pipeline('word-count')
 *   .flatMap((line) => line.split(/\s+/))
 *   .filter((word) => word.length > 0)
 *   .countByValue()
 *   .updateStateByKey<string, number, number>((counts, total = 0) => counts.reduce((a, b) => a + b, total), { name: 'totals', merge: (a, b) => a + b })
 *   .transform((totals) => topK(totals, 10, ([, n]) => n))
 *   .print(10);
 *
 * @packageDocumentation
 */
export { pipeline, Stream } from './core/pipeline/stream';
export type { ExchangeOptions, PipelineOptions, UpdateStateOptions } from './core/pipeline/stream';
export type { BatchInfo, InputFormat } from './core/pipeline/op-spec';
export type { Windowed, LateRecord } from './core/window/windowed';
export type { WindowOptions, ReduceWindowOptions } from './core/window/window-options';
export type { KeyState } from './core/window/key-state';
export type { MappingFunction, StateSpec } from './core/window/state-spec';
export { topK } from './core/util/top-k';
export * from './core/errors';
