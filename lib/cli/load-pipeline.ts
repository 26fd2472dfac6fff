import { describeLoadFailure } from './describe-load-failure';
import { access } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compilePipeline, type CompiledPipeline } from '../core/engine/compile-pipeline';
import { compileStages, type StagedPipeline } from '../core/engine/compile-stages';
import { ConfigError } from '../core/errors';
import { Stream } from '../core/pipeline/stream';

/** Extensions of modules Node cannot import by itself: tsx loads them. */
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

let tsxRegistered = false;

/**
 * Imports a pipeline module (its default export, or an export named `pipeline`) and compiles it.
 * TypeScript is loaded through tsx, registered on the first TypeScript pipeline (not before: a
 * JavaScript pipeline, and every command that runs none, skip its cost). The module resolves its
 * imports from its own folder, so `sluice` is the user's installed copy: the one this CLI is.
 * Without a path, the word count sluice ships (`examples/word-count.ts`, global across shards; for
 * the commands that run one stage, `examples/word-count-per-shard.ts`, of the same app name).
 */
export async function loadPipeline(path?: string): Promise<CompiledPipeline> {
  // replay runs one app's WAL: the per-shard word count by default.
  return compilePipeline(path === undefined ? ((await import('../../examples/word-count-per-shard')).default as Stream<unknown>) : await loadStream(path));
}

/**
 * Like {@link loadPipeline}, for the commands that also run pipelines with exchanges (`keyBy`, `global`):
 * one compiled pipeline per stage. Without a path, `sluice run` takes the global word count; `sluice dev`
 * asks for the per-shard one (`perShardDefault`), as the CDK example app deploys it.
 */
export async function loadStagedPipeline(path?: string, options: { readonly perShardDefault?: boolean } = {}): Promise<StagedPipeline> {
  if (path === undefined && options.perShardDefault === true)
    return compileStages((await import('../../examples/word-count-per-shard')).default as Stream<unknown>);
  return compileStages(await loadStream(path));
}

async function loadStream(path: string | undefined): Promise<Stream<unknown>> {
  if (path === undefined) return (await import('../../examples/word-count')).default as Stream<unknown>;
  const file = resolve(path);
  try {
    await access(file);
  } catch {
    throw new ConfigError('--pipeline', `no such file: ${path}`);
  }
  if (TYPESCRIPT.has(extname(file)) && !tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  const mod = (await import(pathToFileURL(file).href).catch(async (error: unknown) => Promise.reject(await describeLoadFailure(path, file, error)))) as Record<
    string,
    unknown
  >;
  const stream = mod.default ?? mod.pipeline;
  if (!(stream instanceof Stream)) {
    throw new ConfigError(
      '--pipeline',
      `${path} must export a pipeline as its default export (export default pipeline('name')...), made with the pipeline() of the sluice this command runs`,
    );
  }
  return stream as Stream<unknown>;
}
