import { closeSync, fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CorruptDataError, SluiceError, ThrottledError } from '../../core/errors';
import type { CheckpointStore, StoredItem, TransactWrite } from '../../ports/checkpoint-store';
import { assertConditions } from './assert-conditions';
import { prefixUpperBound } from './prefix-upper-bound';
import { validateTransactWrites } from './validate-transact-writes';

/**
 * How long a write waits for another process holding the database's write lock. A commit holds it
 * for one fsync (milliseconds), so 5 s only runs out when the other process is stuck.
 */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5_000;

/** Schema version stored in `PRAGMA user_version`; a file with a higher one was written by a newer sluice. */
const SCHEMA_VERSION = 1;

/** Options of {@link SqliteCheckpointStore.open}. */
export interface SqliteCheckpointStoreOptions {
  /** @default DEFAULT_SQLITE_BUSY_TIMEOUT_MS (5000) */
  readonly busyTimeoutMs?: number;
}

type Row = { sk: string; version: number; data: string };

/**
 * The local mode's durable {@link CheckpointStore}: one SQLite file (via better-sqlite3).
 *
 * Crash safety: WAL journal with `synchronous=FULL`, so a transaction is fsynced before `transact`
 * resolves and survives `kill -9` and power loss. A commit is one `BEGIN IMMEDIATE` transaction
 * that takes the write lock, checks every condition, then applies every write: processes sharing
 * the file serialize on that lock and never interleave a check with another's write.
 * See docs/decisions/0002-sqlite-local-checkpoint-store.md.
 *
 * @example
 * const store = SqliteCheckpointStore.open('.sluice/checkpoint.db');
 */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly #db: Database.Database;
  readonly #selectOne: Database.Statement<[string, string], Row>;
  readonly #selectRange: Database.Statement<[string, string, string], Row>;
  readonly #selectFrom: Database.Statement<[string, string], Row>;
  readonly #upsert: Database.Statement<[string, string, number, string]>;
  readonly #delete: Database.Statement<[string, string]>;
  readonly #commit: Database.Transaction<(writes: readonly TransactWrite[]) => void>;

  readonly #filePath: string;

  private constructor(db: Database.Database, filePath: string) {
    this.#db = db;
    this.#filePath = filePath;
    this.#selectOne = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk = ?');
    // Prefix queries are primary-key ranges, never LIKE (whose wildcards and case folding differ from DynamoDB's begins_with).
    this.#selectRange = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk >= ? AND sk < ? ORDER BY sk');
    this.#selectFrom = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk >= ? ORDER BY sk');
    this.#upsert = db.prepare('INSERT INTO items (pk, sk, version, data) VALUES (?, ?, ?, ?) ON CONFLICT (pk, sk) DO UPDATE SET version = excluded.version, data = excluded.data');
    this.#delete = db.prepare('DELETE FROM items WHERE pk = ? AND sk = ?');
    this.#commit = db.transaction((writes: readonly TransactWrite[]) => {
      // Inside the write lock: conditions first, so a throw rolls back before any row changed.
      assertConditions(writes, (pk, sk) => this.#selectOne.get(pk, sk)?.version);
      for (const write of writes) {
        if (write.kind === 'put') this.#upsert.run(write.item.pk, write.item.sk, write.item.version, write.item.data);
        else if (write.kind === 'delete') this.#delete.run(write.pk, write.sk);
      }
    });
  }

  /** Opens (creating when missing, with its directory) the store in the SQLite file at `filePath`. */
  static open(filePath: string, options: SqliteCheckpointStoreOptions = {}): SqliteCheckpointStore {
    mkdirSync(dirname(filePath), { recursive: true });
    checkLength(filePath);
    let db: Database.Database;
    try {
      db = new Database(filePath);
    } catch (error) {
      throw translate(error, filePath);
    }
    try {
      // busy_timeout first: the statements below take locks another process may hold.
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS))}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new SluiceError(`${filePath}: SQLite refused WAL journal mode (got ${String(mode)}); use a local file system`);
      db.pragma('synchronous = FULL');
      const schema = db.pragma('user_version', { simple: true }) as number;
      if (schema > SCHEMA_VERSION) throw new SluiceError(`${filePath}: checkpoint schema ${schema} is newer than this sluice supports (${SCHEMA_VERSION})`);
      db.exec(`CREATE TABLE IF NOT EXISTS items (
        pk TEXT NOT NULL, sk TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (pk, sk)) WITHOUT ROWID; PRAGMA user_version = ${SCHEMA_VERSION};`);
      return new SqliteCheckpointStore(db, filePath);
    } catch (error) {
      db.close();
      throw translate(error, filePath);
    }
  }

  async get(pk: string, sk: string): Promise<StoredItem | undefined> {
    const row = guard(this.#filePath, () => this.#selectOne.get(pk, sk));
    return row === undefined ? undefined : { pk, ...row };
  }

  async query(pk: string, skPrefix = ''): Promise<StoredItem[]> {
    const upper = prefixUpperBound(skPrefix);
    const rows = guard(this.#filePath, () => (upper === undefined ? this.#selectFrom.all(pk, skPrefix) : this.#selectRange.all(pk, skPrefix, upper)));
    return rows.map((row) => ({ pk, ...row }));
  }

  async transact(writes: readonly TransactWrite[]): Promise<void> {
    validateTransactWrites(writes);
    if (writes.length === 0) return;
    guard(this.#filePath, () => this.#commit.immediate(writes));
  }

  /** Closes the file; later calls fail. Idempotent. */
  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function guard<T>(filePath: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw translate(error, filePath);
  }
}

/**
 * Refuses a database file cut short. SQLite reads pages past the end of a truncated file as if they
 * were empty, so a checkpoint cut inside its pages would open as a checkpoint with no offsets and no
 * state, and the app would start over without a word. The header says how many pages the file holds
 * (when its "version valid for" matches its change counter); the file must be whole pages, that many.
 * Checked only while no write-ahead log holds frames: then no other process is writing, and no
 * checkpoint of that log is copying pages into the file (it writes page 1, the header, first).
 */
function checkLength(filePath: string): void {
  try {
    if (statSync(`${filePath}-wal`).size > 0) return;
  } catch {
    // No write-ahead log: nobody is writing.
  }
  let fd: number;
  try {
    fd = openSync(filePath, 'r');
  } catch {
    return; // Missing (created by the open) or unreadable (the open says why).
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const header = Buffer.alloc(100);
    if (readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return; // SQLite says "not a database".
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65_536 : raw;
    const pages = header.readUInt32BE(28);
    const counted = header.readUInt32BE(24) === header.readUInt32BE(92) && pages > 0;
    const expected = counted ? pages * pageSize : undefined;
    if (size % pageSize !== 0 || (expected !== undefined && size < expected)) {
      const what = expected === undefined ? `${size} bytes, not a whole number of ${pageSize}-byte pages` : `${size} bytes where its header counts ${expected}`;
      throw new CorruptDataError(filePath, `the checkpoint database is damaged (cut short: ${what}); restore it from a copy, or start over with a new --checkpoint-dir`);
    }
  } finally {
    closeSync(fd);
  }
}

/** SQLite's codes for a file that is not a database, or one whose pages do not add up. */
const DAMAGED = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/**
 * Errors of the file as sluice errors naming it: the lock stayed busy past busy_timeout (another
 * process is committing: a retry can succeed), or the file is damaged (truncated, overwritten: no
 * retry can help, an operator must restore it).
 */
function translate(error: unknown, filePath: string): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (error.code.startsWith('SQLITE_BUSY')) return new ThrottledError(`SQLite checkpoint ${filePath} is locked by another process (${error.code})`, { cause: error });
  if (DAMAGED.has(baseCode(error.code))) {
    return new CorruptDataError(filePath, `the checkpoint database is damaged (${error.code}: ${error.message}); restore it from a copy, or start over with a new --checkpoint-dir`, { cause: error });
  }
  return new SluiceError(`SQLite checkpoint ${filePath}: ${error.code}: ${error.message}`, { cause: error });
}

/** `SQLITE_CORRUPT_INDEX` → `SQLITE_CORRUPT`: extended result codes share their primary code's prefix. */
function baseCode(code: string): string {
  return code.split('_').slice(0, 2).join('_');
}
