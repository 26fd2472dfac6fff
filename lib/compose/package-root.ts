import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../core/errors';

/** What sluice reads of its own package.json. */
export interface SluicePackage {
  /** The folder holding sluice's package.json: `node_modules/sluice` in an app, the repository in sluice's own. */
  readonly root: string;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
  readonly devDependencies: Readonly<Record<string, string>>;
}

let cached: SluicePackage | undefined;

/**
 * sluice's own package: found from this module up (it runs from `dist/` once built, from `lib/` in
 * sluice's tests), the first folder whose package.json is named `sluice`.
 */
export function sluicePackage(from: string = import.meta.url): SluicePackage {
  if (cached !== undefined) return cached;
  for (let dir = dirname(fileURLToPath(from)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as Partial<SluicePackage> & { name?: string };
      if (json.name === 'sluice') {
        cached = {
          root: dir,
          version: json.version ?? '0.0.0',
          dependencies: json.dependencies ?? {},
          peerDependencies: json.peerDependencies ?? {},
          devDependencies: json.devDependencies ?? {},
        };
        return cached;
      }
    }
    if (dirname(dir) === dir) throw new SluiceError(`no package.json named sluice above ${fileURLToPath(from)}: sluice's files were moved out of its package`);
  }
}
