import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkSqliteFile } from '../adapters/local/check-sqlite-file';
import { DiskObjectStore } from '../adapters/local/disk-object-store';
import { SqliteCheckpointStore } from '../adapters/local/sqlite-checkpoint-store';

/** The default checkpoint directory of an app run locally. */
export function defaultCheckpointDir(app: string): string {
  return join('.sluice', app);
}

/**
 * Opens the on-disk stores of local mode in `dir`: `checkpoint.sqlite` (offsets, state, control)
 * and `objects/` (WAL, quarantine, received blocks). Creates the directory when missing; refuses a
 * checkpoint file that was cut short ({@link checkSqliteFile}).
 */
export function openLocalStores(dir: string): { checkpoints: SqliteCheckpointStore; objects: DiskObjectStore } {
  mkdirSync(join(dir, 'objects'), { recursive: true });
  // A checkpoint cut short would open as an empty one: refused first, naming the file.
  checkSqliteFile(join(dir, 'checkpoint.sqlite'));
  return { checkpoints: SqliteCheckpointStore.open(join(dir, 'checkpoint.sqlite')), objects: new DiskObjectStore(join(dir, 'objects')) };
}
