import { randomUUID } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { SluiceError } from '../../core/errors';
import type { ObjectStore } from '../../ports/object-store';
import { compareCodePoints } from './compare-code-points';
import { objectKeySegments, TEMP_FILE_PREFIX } from './object-key';

/**
 * The local mode's {@link ObjectStore}: one file per key under a root directory (`a/b/c` →
 * `root/a/b/c`), the same layout as the S3 bucket.
 *
 * A create-only put writes a temp file in the key's directory, fsyncs it, then hard-links it to the
 * final name: `link` fails with EEXIST when the name exists, so among racing writers (threads or
 * processes) exactly one wins, and a reader never sees a partial body. The directory is fsynced
 * before `putIfAbsent` resolves, so an acknowledged object survives `kill -9` and power loss.
 * See docs/decisions/0002-sqlite-local-checkpoint-store.md.
 *
 * A key cannot also be a "directory" of other keys (`a` and `a/b`): that put fails with a SluiceError.
 *
 * @example
 * const wal = new DiskObjectStore('.sluice/objects');
 */
export class DiskObjectStore implements ObjectStore {
  /** Absolute path of the root directory; created on the first put. */
  readonly root: string;
  /** Directories whose entries up to the root are known to be fsynced by this instance. */
  readonly #durableDirs = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    const path = this.#pathOf(key);
    const dir = dirname(path);
    await this.#ensureDurableDir(key, dir);
    // Cheap early exit; the link below is what decides a race.
    if (await this.#objectExists(key, path)) return false;
    const tmp = join(dir, TEMP_FILE_PREFIX + randomUUID());
    let created: boolean;
    try {
      await writeSynced(tmp, body);
      created = await link(tmp, path).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'EEXIST') return false;
          throw error;
        },
      );
    } finally {
      await rm(tmp, { force: true });
    }
    if (!created) return this.#objectExists(key, path).then(() => false);
    // The new name is durable only once its directory is: fsync before acknowledging.
    await fsyncDir(dir);
    return true;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const path = this.#pathOf(key);
    try {
      const buffer = await readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    const path = this.#pathOf(key);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      const buffer = Buffer.alloc(Math.max(0, end - start));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    await this.#walk(this.root, '', prefix, keys);
    return keys.sort(compareCodePoints);
  }

  async delete(key: string): Promise<void> {
    const path = this.#pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    await fsyncDir(dirname(path));
  }

  #pathOf(key: string): string {
    return join(this.root, ...objectKeySegments(key));
  }

  /** Descends only into directories that can hold keys starting with `prefix`; the prefix never becomes a path. */
  async #walk(dir: string, keyPrefix: string, prefix: string, out: string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
      if (isMissing(error)) return [];
      throw error;
    });
    for (const entry of entries) {
      if (entry.name.startsWith(TEMP_FILE_PREFIX)) continue;
      const key = keyPrefix + entry.name;
      if (entry.isDirectory()) {
        const sub = `${key}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) await this.#walk(join(dir, entry.name), sub, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        out.push(key);
      }
    }
  }

  /** True when `path` is a file; a directory there means the key collides with other keys' paths. */
  async #objectExists(key: string, path: string): Promise<boolean> {
    const stats = await lstat(path).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (stats?.isDirectory()) throw conflict(key);
    return stats !== undefined;
  }

  /** Creates `dir` and fsyncs each directory holding a new entry, so the path survives a power loss. */
  async #ensureDurableDir(key: string, dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST' || error.code === 'ENOTDIR') throw conflict(key);
      throw error;
    });
    if (first === undefined && this.#durableDirs.has(dir)) return;
    const parents = new Set<string>();
    for (let d = dirname(dir); d === this.root || d.startsWith(this.root + sep); d = dirname(d)) parents.add(d);
    if (first !== undefined) parents.add(dirname(first));
    for (const parent of parents) await fsyncDir(parent);
    this.#durableDirs.add(dir);
  }
}

async function writeSynced(path: string, body: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** ENOENT: no such path; ENOTDIR: an ancestor is a file; EISDIR: the path is a directory. None is an object. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function conflict(key: string): SluiceError {
  return new SluiceError(
    `object key ${JSON.stringify(key)} conflicts with an existing key: on disk a key cannot also be a prefix directory of other keys (as "a" and "a/b")`,
  );
}
