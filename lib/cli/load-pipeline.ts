import { access, readFile } from 'node:fs/promises';
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
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw await loadFailure(path, file, error);
  }
  const stream = mod.default ?? mod.pipeline;
  if (!(stream instanceof Stream)) {
    throw new ConfigError('--pipeline', `${path} must export a pipeline as its default export (export default pipeline('name')...)`);
  }
  return compilePipeline(stream as Stream<unknown>);
}

/** esbuild's report of a file that does not compile (tsx compiles pipelines with it). */
interface CompileMessage {
  readonly text: string;
  readonly location: { readonly file: string; readonly line: number; readonly column: number } | null;
}

/**
 * One line for a pipeline module that fails to load: for a syntax error, the file, line and column
 * (1-based, as editors count) and esbuild's text, instead of its multi-line TransformError. tsx does
 * not always surface it (a `.ts` file outside an ES module package fails with a require cycle), so
 * the file is compiled again here to find it.
 */
async function loadFailure(path: string, file: string, error: unknown): Promise<ConfigError> {
  const message = compileMessage(error) ?? compileMessage(await compile(file));
  if (message?.location != null) {
    const { file: where, line, column } = message.location;
    return new ConfigError('--pipeline', `${where}:${line}:${column + 1}: ${message.text}`);
  }
  return new ConfigError('--pipeline', `${path} failed to load: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
}

function compileMessage(error: unknown): CompileMessage | undefined {
  const errors = (error as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) && typeof (errors[0] as CompileMessage | undefined)?.text === 'string' ? (errors[0] as CompileMessage) : undefined;
}

/** Compiles `file` as tsx would; resolves with esbuild's error, or undefined when it compiles. */
async function compile(file: string): Promise<unknown> {
  try {
    const { transform } = await import('esbuild');
    await transform(await readFile(file, 'utf8'), { loader: file.endsWith('x') ? 'tsx' : 'ts', sourcefile: file, format: 'esm' });
    return undefined;
  } catch (error) {
    return error;
  }
}
