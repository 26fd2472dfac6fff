import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../lib/core/errors';
import { sluicePackage } from '../lib/compose/package-root';

/**
 * The compiled entries of sluice's two Lambda functions, as the package ships them:
 * `dist/functions/processor.js` (which imports the pipeline as `sluice-pipeline`, aliased to the
 * user's module when bundled) and `dist/functions/controller.js`.
 *
 * The entries are always the built ones, also in sluice's own tests (which run this module from
 * `cdk/`): esbuild resolves the pipeline's `sluice` to `dist/` too, so the bundle holds one copy
 * of sluice, and the processor's `Stream` is the pipeline's.
 */
export const FunctionEntries = {
  get processor(): string {
    return entry('processor');
  },
  get controller(): string {
    return entry('controller');
  },
} as const;

function entry(name: 'processor' | 'controller'): string {
  const path = join(sluicePackage().root, 'dist', 'functions', `${name}.js`);
  if (!existsSync(path)) throw new SluiceError(`${path} is missing: sluice's package is not built (in sluice's own repository, run npm run build)`);
  return path;
}
