import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sluicePackage } from '../lib/compose/package-root';
import { ConfigError } from '../lib/core/errors';

/** What the construct needs to know of a pipeline at synth time: its name and its exchanges. */
export interface PipelineExchanges {
  readonly name: string;
  /** The partitions of each exchange (`keyBy({ partitions })`, 1 for `global()`), in stage order: stage i sends to exchange i. */
  readonly partitions: readonly number[];
}

/**
 * Reads the pipeline module at `path` (TypeScript or JavaScript) at synth time: esbuild bundles its
 * own files and sluice's (every other package stays an import of the project's installed copy), and
 * the bundle runs once in this process, which only builds the pipeline's operator list. The
 * exchanges are read off the operators as `compileStages` cuts them (docs/decisions/0015).
 */
export function readPipelineExchanges(path: string): PipelineExchanges {
  let exported: Record<string, unknown>;
  try {
    const built = buildSync({
      entryPoints: [path],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
      // sluice is bundled (its built copy, whatever conditions this process runs under); every other package stays an import.
      packages: 'external',
      alias: sluiceAliases(),
    });
    const module = { exports: {} as Record<string, unknown> };
    // The module's own code, bundled as NodejsFunction bundles it, run as CommonJS: it builds the pipeline's operator list.
    new Function('module', 'exports', 'require', '__filename', '__dirname', built.outputFiles[0]!.text)(
      module,
      module.exports,
      createRequire(path),
      path,
      dirname(path),
    );
    exported = module.exports;
  } catch (error) {
    throw new ConfigError('pipeline', `could not load ${path} to read its stages: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const stream = (exported.default ?? exported.pipeline) as { definition?: { name?: unknown }; ops?: unknown } | undefined;
  if (stream === undefined || typeof stream.definition?.name !== 'string' || !Array.isArray(stream.ops)) {
    throw new ConfigError('pipeline', `${path} must export a pipeline as its default export (export default pipeline('name')...)`);
  }
  const ops = stream.ops as Array<{ kind?: unknown; partitions?: unknown }>;
  return { name: stream.definition.name, partitions: ops.filter((op) => op.kind === 'exchange').map((op) => Number(op.partitions)) };
}

/** `sluice`, `sluice/sinks`, … → the built file each names in sluice's package.json `exports`. */
function sluiceAliases(): Record<string, string> {
  const { root } = sluicePackage();
  const exports = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: Record<string, { default?: string }> }).exports ?? {};
  const aliases: Record<string, string> = {};
  for (const [key, target] of Object.entries(exports)) {
    if (typeof target?.default === 'string' && target.default.endsWith('.js'))
      aliases[key === '.' ? 'sluice' : `sluice/${key.slice(2)}`] = join(root, target.default);
  }
  return aliases;
}
