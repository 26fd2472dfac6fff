import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DiskObjectStore } from '../adapters/local/disk-object-store';
import { SqliteCheckpointStore } from '../adapters/local/sqlite-checkpoint-store';

/** The default checkpoint directory of an app run locally. */
export function defaultCheckpointDir(app: string): string {
  return join('.sluice', app);
}

/**
 * Opens the on-disk stores of local mode in `dir`: `checkpoint.sqlite` (offsets, state, control)
 * and `objects/` (WAL, quarantine, received blocks). Creates the directory when missing.
 */
export function openLocalStores(dir: string): { checkpoints: SqliteCheckpointStore; objects: DiskObjectStore } {
  mkdirSync(join(dir, 'objects'), { recursive: true });
  return { checkpoints: SqliteCheckpointStore.open(join(dir, 'checkpoint.sqlite')), objects: new DiskObjectStore(join(dir, 'objects')) };
}
