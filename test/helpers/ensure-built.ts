import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What the build reads: a file here newer than the build's output means dist/ is stale. */
const BUILD_INPUTS = ['lib', 'cdk', 'functions', 'examples', 'tsdown.config.ts', 'package.json', 'tsconfig.json'];

/**
 * Builds dist/ (`npm run build`) unless it is newer than every file the build reads. The CLI tests
 * run `bin/sluice.mjs`, which runs dist/, and the CDK tests bundle dist/functions: without this, a
 * test after an edit would run the code as it was at the last build. `npm ci` builds it too (the
 * `prepare` script), so in CI this finds it fresh.
 */
export function ensureBuilt(): void {
  const built = existsSync(join(ROOT, 'dist', 'cli.js')) ? statSync(join(ROOT, 'dist', 'cli.js')).mtimeMs : -Infinity;
  const newest = Math.max(...BUILD_INPUTS.map((input) => newestMtime(join(ROOT, input))));
  if (newest <= built) return;
  process.stderr.write('dist/ is older than the sources: npm run build\n');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status}): the tests need dist/`);
}

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}
