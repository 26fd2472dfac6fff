import { describeLoadFailure } from './describe-load-failure';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compilePipeline, type CompiledPipeline } from '../core/engine/compile-pipeline';
import { ConfigError } from '../core/errors';
import { Stream } from '../core/pipeline/stream';

/** The pipeline `sluice` runs when given none: the word count. */
export const DEFAULT_PIPELINE_PATH = new URL('../../examples/word-count.ts', import.meta.url).pathname;

/** Imports a pipeline module (its default export, or an export named `pipeline`) and compiles it. */
export async function loadPipeline(path: string = DEFAULT_PIPELINE_PATH): Promise<CompiledPipeline> {
  const file = resolve(path);
  try {
    await access(file);
  } catch {
    throw new ConfigError('--pipeline', `no such file: ${path}`);
  }
  const mod = (await import(pathToFileURL(file).href).catch(async (error: unknown) => Promise.reject(await describeLoadFailure(path, file, error)))) as Record<string, unknown>;
  const stream = mod.default ?? mod.pipeline;
  if (!(stream instanceof Stream)) {
    throw new ConfigError('--pipeline', `${path} must export a pipeline as its default export (export default pipeline('name')...)`);
  }
  return compilePipeline(stream as Stream<unknown>);
}
