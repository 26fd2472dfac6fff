import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SluiceError, ThrottledError } from '../lib/core/errors';
import type { CheckpointStore, StoredItem, TransactWrite } from '../lib/ports/checkpoint-store';
import { assertConditions } from '../lib/adapters/local/assert-conditions';
import { prefixUpperBound } from '../lib/adapters/local/prefix-upper-bound';
import { validateTransactWrites } from '../lib/adapters/local/validate-transact-writes';

import { DEFAULT_SQLITE_BUSY_TIMEOUT_MS } from '../lib/adapters/local/sqlite-checkpoint-store';

/** Schema version stored in `PRAGMA user_version`; a file with a higher one was written by a newer sluice. */
const SCHEMA_VERSION = 1;

/** Options of {@link BetterSqlite3CheckpointStore.open}. */
export interface BetterSqlite3CheckpointStoreOptions {
  /** @default DEFAULT_SQLITE_BUSY_TIMEOUT_MS (5000) */
  readonly busyTimeoutMs?: number;
}

type Row = { sk: string; version: number; data: string };

/**
 * The baseline of `npm run bench -- checkpoint-store`: sluice's SQLite checkpoint store as it was
 * through better-sqlite3 until docs/decisions/0011, kept to measure `node:sqlite` against. Needs
 * `npm install --no-save better-sqlite3@12` (no longer a dependency).
 *
 * Crash safety: WAL journal with `synchronous=FULL`, so a transaction is fsynced before `transact`
 * resolves and survives `kill -9` and power loss. A commit is one `BEGIN IMMEDIATE` transaction
 * that takes the write lock, checks every condition, then applies every write: processes sharing
 * the file serialize on that lock and never interleave a check with another's write.
 * See docs/decisions/0002-sqlite-local-checkpoint-store.md.
 */
export class BetterSqlite3CheckpointStore implements CheckpointStore {
  readonly #db: Database.Database;
  readonly #selectOne: Database.Statement<[string, string], Row>;
  readonly #selectRange: Database.Statement<[string, string, string], Row>;
  readonly #selectFrom: Database.Statement<[string, string], Row>;
  readonly #upsert: Database.Statement<[string, string, number, string]>;
  readonly #delete: Database.Statement<[string, string]>;
  readonly #commit: Database.Transaction<(writes: readonly TransactWrite[]) => void>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#selectOne = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk = ?');
    // Prefix queries are primary-key ranges, never LIKE (whose wildcards and case folding differ from DynamoDB's begins_with).
    this.#selectRange = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk >= ? AND sk < ? ORDER BY sk');
    this.#selectFrom = db.prepare('SELECT sk, version, data FROM items WHERE pk = ? AND sk >= ? ORDER BY sk');
    this.#upsert = db.prepare(
      'INSERT INTO items (pk, sk, version, data) VALUES (?, ?, ?, ?) ON CONFLICT (pk, sk) DO UPDATE SET version = excluded.version, data = excluded.data',
    );
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
  static open(filePath: string, options: BetterSqlite3CheckpointStoreOptions = {}): BetterSqlite3CheckpointStore {
    mkdirSync(dirname(filePath), { recursive: true });
    const db = new Database(filePath);
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
      return new BetterSqlite3CheckpointStore(db);
    } catch (error) {
      db.close();
      throw translate(error);
    }
  }

  async get(pk: string, sk: string): Promise<StoredItem | undefined> {
    const row = guard(() => this.#selectOne.get(pk, sk));
    return row === undefined ? undefined : { pk, ...row };
  }

  async query(pk: string, skPrefix = ''): Promise<StoredItem[]> {
    const upper = prefixUpperBound(skPrefix);
    const rows = guard(() => (upper === undefined ? this.#selectFrom.all(pk, skPrefix) : this.#selectRange.all(pk, skPrefix, upper)));
    return rows.map((row) => ({ pk, ...row }));
  }

  async transact(writes: readonly TransactWrite[]): Promise<void> {
    validateTransactWrites(writes);
    if (writes.length === 0) return;
    guard(() => this.#commit.immediate(writes));
  }

  /** Closes the file; later calls fail. Idempotent. */
  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function guard<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw translate(error);
  }
}

/** The lock stayed busy past busy_timeout: another process is committing. A retry can succeed. */
function translate(error: unknown): unknown {
  if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')) {
    return new ThrottledError(`SQLite checkpoint is locked by another process (${error.code})`, { cause: error });
  }
  return error;
}
