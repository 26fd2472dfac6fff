import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
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

/** SQLite's primary result code for a lock held by another connection (extended codes keep it in the low byte). */
const SQLITE_BUSY = 5;
/** SQLite's primary result codes for a damaged file. */
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

/** Options of {@link SqliteCheckpointStore.open}. */
export interface SqliteCheckpointStoreOptions {
  /** @default DEFAULT_SQLITE_BUSY_TIMEOUT_MS (5000) */
  readonly busyTimeoutMs?: number;
}

type Row = { sk: string; version: number; data: string };

/**
 * The local mode's durable {@link CheckpointStore}: one SQLite file, through Node's built-in
 * `node:sqlite` (docs/decisions/0011: no native module to build or download).
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
  readonly #db: DatabaseSync;
  readonly #selectOne: StatementSync;
  readonly #selectRange: StatementSync;
  readonly #selectFrom: StatementSync;
  readonly #upsert: StatementSync;
  readonly #delete: StatementSync;
  readonly #path: string;
  #open = true;

  private constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    this.#path = path;
    this.#selectOne = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk = ?');
    // Prefix queries are primary-key ranges, never LIKE (whose wildcards and case folding differ from DynamoDB's begins_with).
    this.#selectRange = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk >= ? AND sk < ? ORDER BY sk');
    this.#selectFrom = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk >= ? ORDER BY sk');
    this.#upsert = db.prepare(
      'INSERT INTO items (pk, sk, version, data) VALUES (?, ?, ?, ?) ON CONFLICT (pk, sk) DO UPDATE SET version = excluded.version, data = excluded.data',
    );
    this.#delete = db.prepare('DELETE FROM items WHERE pk = ? AND sk = ?');
  }

  /** Opens (creating when missing, with its directory) the store in the SQLite file at `filePath`. */
  static open(filePath: string, options: SqliteCheckpointStoreOptions = {}): SqliteCheckpointStore {
    mkdirSync(dirname(filePath), { recursive: true });
    const db = new DatabaseSync(filePath);
    try {
      // busy_timeout first: the statements below take locks another process may hold.
      db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS))}`);
      const mode = pragma(db, 'journal_mode = WAL');
      if (mode !== 'wal') throw new SluiceError(`${filePath}: SQLite refused WAL journal mode (got ${String(mode)}); use a local file system`);
      db.exec('PRAGMA synchronous = FULL');
      const schema = Number(pragma(db, 'user_version'));
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
    const row = guard(this.#path, () => this.#selectOne.get(pk, sk) as Row | undefined);
    return row === undefined ? undefined : { pk, sk: row.sk, version: row.version, data: row.data };
  }

  async query(pk: string, skPrefix = ''): Promise<StoredItem[]> {
    const upper = prefixUpperBound(skPrefix);
    const rows = guard(this.#path, () => (upper === undefined ? this.#selectFrom.all(pk, skPrefix) : this.#selectRange.all(pk, skPrefix, upper)) as Row[]);
    return rows.map((row) => ({ pk, sk: row.sk, version: row.version, data: row.data }));
  }

  async transact(writes: readonly TransactWrite[]): Promise<void> {
    validateTransactWrites(writes);
    if (writes.length === 0) return;
    guard(this.#path, () => this.#commit(writes));
  }

  /** Closes the file; later calls fail. Idempotent. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.#db.close();
  }

  /** One transaction that takes the write lock first (`IMMEDIATE`), so no other process writes between its checks and its writes. */
  #commit(writes: readonly TransactWrite[]): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      // Inside the write lock: conditions first, so a throw rolls back before any row changed.
      assertConditions(writes, (pk, sk) => (this.#selectOne.get(pk, sk) as Row | undefined)?.version);
      for (const write of writes) {
        if (write.kind === 'put') this.#upsert.run(write.item.pk, write.item.sk, write.item.version, write.item.data);
        else if (write.kind === 'delete') this.#delete.run(write.pk, write.sk);
      }
      this.#db.exec('COMMIT');
    } catch (error) {
      // A failed COMMIT (busy) leaves the transaction open; SQLite may also have rolled it back itself.
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

/** The single value a `PRAGMA` statement returns. */
function pragma(db: DatabaseSync, statement: string): unknown {
  const row = db.prepare(`PRAGMA ${statement}`).get() as Record<string, unknown> | undefined;
  return row === undefined ? undefined : Object.values(row)[0];
}

function guard<T>(path: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw translate(error, path);
  }
}

/**
 * The lock stayed busy past busy_timeout: another process is committing, and a retry can succeed.
 * A damaged file (a page corrupted under a running app) is the system's failure: one line naming the
 * file, never a batch's fault, so it stops the run instead of setting records aside.
 */
function translate(error: unknown, path: string): unknown {
  if (!isSqliteError(error)) return error;
  const code = error.errcode & 0xff;
  if (code === SQLITE_BUSY) return new ThrottledError(`SQLite checkpoint is locked by another process (${error.errstr})`, { cause: error });
  if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB) {
    return new CorruptDataError(
      path,
      `the checkpoint database is damaged (SQLite: ${error.errstr}); restore it from a copy, or start over with a new --checkpoint-dir`,
      { cause: error },
    );
  }
  return error;
}

function isSqliteError(error: unknown): error is Error & { errcode: number; errstr: string } {
  return error instanceof Error && (error as { code?: unknown }).code === 'ERR_SQLITE_ERROR' && typeof (error as { errcode?: unknown }).errcode === 'number';
}
