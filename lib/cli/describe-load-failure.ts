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
  return new ConfigError('--pipeline', `${path} failed to load: ${loadProblem(error)}`);
}

/**
 * The first line of a load error, with the way out for the ones a user meets: `sluice` not
 * installed where the pipeline is, a TypeScript file that Node loads as CommonJS in a cycle.
 */
function loadProblem(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split('\n')[0]!;
  const code = (error as NodeJS.ErrnoException).code;
  const first = error.message.split('\n')[0]!;
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /['"]sluice['"/]/.test(first)) {
    return `it imports sluice, which is not installed where the pipeline is: run npm install sluice in its project, or move the pipeline into a project that has it`;
  }
  if (code === 'ERR_REQUIRE_CYCLE_MODULE') {
    return `Node loads it as CommonJS and meets an ES module cycle: add "type": "module" to the package.json of its project, or name it .mts`;
  }
  return `${code ?? error.name}: ${first}`;
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
