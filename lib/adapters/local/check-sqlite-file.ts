import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { CorruptDataError } from '../../core/errors';

/** The first bytes of every SQLite 3 database file. */
const MAGIC = 'SQLite format 3\0';

/**
 * Refuses a checkpoint database file that was cut short or is not a database, with one line naming
 * it, before SQLite opens it. SQLite reads pages past the end of a truncated file as empty, so a
 * checkpoint cut inside its pages would open as a checkpoint with no offsets and no state, and the app
 * would start over without a word; cut inside its header, the driver's own error names no file.
 *
 * The header says how many pages the file holds (when its "version valid for" matches its change
 * counter); the file must be whole pages, that many. Checked only while no write-ahead log holds
 * frames: then no other process writes, and no checkpoint of that log is copying pages into the
 * file (it writes page 1, the header, first). A missing or empty file is a new database.
 *
 * @throws CorruptDataError naming the file, what is wrong and the ways out.
 */
export function checkSqliteFile(filePath: string): void {
  try {
    if (statSync(`${filePath}-wal`).size > 0) return;
  } catch {
    // No write-ahead log: nobody is writing.
  }
  let fd: number;
  try {
    fd = openSync(filePath, 'r');
  } catch {
    return; // Missing (the store creates it) or unreadable (opening it says why).
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const header = Buffer.alloc(100);
    const damaged = (what: string): CorruptDataError =>
      new CorruptDataError(filePath, `the checkpoint database is damaged (${what}); restore it from a copy, or start over with a new --checkpoint-dir`);
    if (readSync(fd, header, 0, 100, 0) < 100 || header.toString('latin1', 0, 16) !== MAGIC)
      throw damaged(`not a SQLite database: ${size} bytes without its header`);
    const raw = header.readUInt16BE(16);
    const pageSize = raw === 1 ? 65_536 : raw;
    const pages = header.readUInt32BE(28);
    const counted = pages > 0 && header.readUInt32BE(24) === header.readUInt32BE(92);
    if (size % pageSize !== 0) throw damaged(`cut short: ${size} bytes, not a whole number of ${pageSize}-byte pages`);
    if (counted && size < pages * pageSize) throw damaged(`cut short: ${size} bytes where its header counts ${pages * pageSize}`);
  } finally {
    closeSync(fd);
  }
}
