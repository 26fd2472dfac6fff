/** sluice's public API: build a pipeline, then run it with `sluice run`, `sluice dev` or the CDK construct. */
export { pipeline, Stream } from './core/pipeline/stream';
export type { PipelineOptions, UpdateStateOptions } from './core/pipeline/stream';
export type { BatchInfo, InputFormat } from './core/pipeline/op-spec';
export type { Windowed, LateRecord } from './core/window/windowed';
export type { WindowOptions, ReduceWindowOptions } from './core/window/window-options';
export type { KeyState } from './core/window/key-state';
export type { MappingFunction, StateSpec } from './core/window/state-spec';
export { topK } from './core/util/top-k';
export { compilePipeline } from './core/engine/compile-pipeline';
export type { CompiledPipeline } from './core/engine/compile-pipeline';
export * from './core/errors';
