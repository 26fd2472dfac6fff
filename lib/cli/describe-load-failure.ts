import { readFile } from 'node:fs/promises';
import { ConfigError } from '../core/errors';

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
export async function describeLoadFailure(path: string, file: string, error: unknown): Promise<ConfigError> {
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
