import { readFileSync } from 'node:fs';

/** A package-lock.json v3 entry, as far as this helper reads it. */
interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/** The package.json fields of an app that its lock file's root entry repeats. */
export interface AppManifest {
  readonly name: string;
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

/** The packed sluice tarball: where the app's package.json points, and what it holds. */
export interface PackedTarball {
  /** As written in the app's package.json, e.g. `file:../sluice-0.1.0.tgz`. */
  readonly spec: string;
  readonly integrity: string;
  /** Its package.json. */
  readonly manifest: LockEntry & { name: string; version: string };
}

/**
 * A lock file for an app that depends on a packed sluice, built from sluice's own lock file so that
 * `npm ci --offline` installs it from npm's cache: `npm ci` of this repository fetched exactly these
 * versions, while resolving the app's ranges afresh would need registry metadata the cache lacks.
 *
 * Every package the app needs is taken, at its place in the tree, from sluice's lock (which holds
 * sluice's dependencies and the tools an app uses: aws-cdk-lib, aws-cdk, vitest, tsx, typescript),
 * following Node's resolution from each dependent up the node_modules folders.
 */
export function offlineLockfile(repoLockPath: string, app: AppManifest, sluice: PackedTarball): unknown {
  const repo = (JSON.parse(readFileSync(repoLockPath, 'utf8')) as { packages: Record<string, LockEntry> }).packages;
  const sluiceEntry: LockEntry = {
    version: sluice.manifest.version,
    resolved: sluice.spec,
    integrity: sluice.integrity,
    ...pick(sluice.manifest, ['license', 'dependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines']),
  };
  const entryAt = (location: string): LockEntry | undefined => (location === 'node_modules/sluice' ? sluiceEntry : repo[location]);
  const packages: Record<string, LockEntry> = {
    '': { name: app.name, version: app.version, ...pick(app as unknown as LockEntry, ['dependencies', 'devDependencies']) },
  };
  const queue: Array<{ name: string; from: string; optional: boolean }> = Object.keys({ ...app.dependencies, ...app.devDependencies }).map((name) => ({
    name,
    from: '',
    optional: false,
  }));
  while (queue.length > 0) {
    const { name, from, optional } = queue.shift()!;
    const location = resolveFrom(from, name, entryAt);
    if (location === undefined) {
      if (optional) continue;
      throw new Error(`${name} (needed by ${from || 'the app'}) is not in sluice's lock file: add it to sluice's devDependencies, or drop it from the app`);
    }
    if (packages[location] !== undefined) continue;
    const entry = entryAt(location)!;
    packages[location] = strip(entry);
    for (const dep of Object.keys(entry.dependencies ?? {})) queue.push({ name: dep, from: location, optional: false });
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) queue.push({ name: dep, from: location, optional: true });
    for (const dep of Object.keys(entry.peerDependencies ?? {}))
      queue.push({ name: dep, from: location, optional: entry.peerDependenciesMeta?.[dep]?.optional === true });
  }
  // Bundled dependencies ship inside their parent's tarball; the lock lists them all the same.
  for (const [location, entry] of Object.entries(repo)) {
    if (entry.inBundle === true && Object.keys(packages).some((p) => p !== '' && location.startsWith(`${p}/node_modules/`))) packages[location] = strip(entry);
  }
  return { name: app.name, version: app.version, lockfileVersion: 3, requires: true, packages };
}

/** Node's lookup: `from/node_modules/name`, then each ancestor's node_modules, up to the top. */
function resolveFrom(from: string, name: string, entryAt: (location: string) => LockEntry | undefined): string | undefined {
  for (let dir = from; ; dir = parentOf(dir)) {
    const location = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (entryAt(location) !== undefined) return location;
    if (dir === '') return undefined;
  }
}

/** The package folder a location sits in: `node_modules/a/node_modules/b` → `node_modules/a`, `node_modules/a` → ''. */
function parentOf(location: string): string {
  const index = location.lastIndexOf('/node_modules/');
  return index === -1 ? '' : location.slice(0, index);
}

/** An entry without the flags of its place in sluice's tree (dev, peer); `optional` stays, so platform packages may be skipped. */
function strip(entry: LockEntry): LockEntry {
  const { dev: _dev, devOptional: _devOptional, peer: _peer, ...rest } = entry;
  return rest;
}

function pick(source: LockEntry, fields: readonly string[]): LockEntry {
  return Object.fromEntries(fields.filter((f) => source[f] !== undefined).map((f) => [f, source[f]]));
}
