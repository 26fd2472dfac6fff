import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { ConfigError, CorruptDataError } from '../../../core/errors';
import type { SourceLedger } from '../../../ports/source-ledger';
import { hashFileLines, type HashedLines } from './hash-file-lines';

/**
 * What the checkpoint keeps about the file a shard's offsets are lines of: the first `lines` lines
 * of the file are `bytes` bytes whose SHA-256 is `sha256`. Sequence numbers are `base` + line number.
 */
export interface FileNote {
  /** The file source's id (`file:` and the absolute path). */
  readonly id: string;
  /** 0, or the offset at which `--from-start` began counting this file: its line 1 is seq `base + 1`. */
  readonly base: number;
  readonly lines: number;
  readonly bytes: number;
  readonly sha256: string;
  /** The last noted line ended the file without a newline, so bytes added after it change it. */
  readonly open: boolean;
}

const EMPTY: HashedLines = { offset: 0, lines: 0, open: false };

/**
 * Tells whether a file is still the one whose lines a shard committed, and keeps that knowledge up to
 * date as lines commit. Line numbers alone cannot: a file replaced under the same path (log rotation,
 * a re-export) has a line 1,000 too, and its first 1,000 lines would be skipped as committed.
 *
 * At start ({@link check}) the file's committed prefix must hash as noted, be no shorter, and hold
 * at least as many lines as the app has taken. Appending to the file is fine; anything else is
 * refused with one line naming the path, what changed and the ways out, unless `fromStart` says to
 * count the file anew from its first line on top of the state. After each commit ({@link committed})
 * the note is extended by hashing only the newly committed lines.
 */
export class FileIdentity {
  readonly #id: string;
  readonly #shardId: string;
  readonly #ledger: SourceLedger;
  readonly #handle: () => Promise<FileHandle>;
  #base = 0;
  #hash: Hash = createHash('sha256');
  #hashed: HashedLines = EMPTY;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: { id: string; shardId: string; ledger: SourceLedger; handle: () => Promise<FileHandle> }) {
    this.#id = options.id;
    this.#shardId = options.shardId;
    this.#ledger = options.ledger;
    this.#handle = options.handle;
  }

  /** Sequence number of the line before the file's first, once {@link check} ran. */
  get base(): number {
    return this.#base;
  }

  /**
   * Checks the file against the note and the shard's positions; resolves with the base of its
   * sequence numbers. With `fromStart`, a changed file becomes a new log after everything taken so far.
   * @throws ConfigError naming the file, what changed and how to proceed.
   */
  async check(fromStart: boolean): Promise<number> {
    const ledger = this.#ledger;
    const positions = await ledger.positions(this.#shardId);
    const committed = Number(positions.committedSeq ?? 0);
    const taken = Number(positions.takenSeq ?? 0);
    const note = parseNote(`${ledger.app}/${this.#shardId}/source#note`, await ledger.note(this.#shardId));
    // Offsets of another file: the processor refuses them with both paths (checkSameSource).
    if (note !== undefined && note.id !== this.#id) return (this.#base = 0);
    const base = note?.base ?? 0;
    const handle = await this.#handle();
    const size = (await handle.stat()).size;
    let problem: string | undefined;
    if (note !== undefined && note.lines > 0) {
      if (size < note.bytes)
        problem = `it has ${fmt(size)} bytes, fewer than the ${fmt(note.bytes)} of the lines committed (the file was truncated or replaced)`;
      else if (note.open && size > note.bytes)
        problem = `its line ${fmt(note.lines)} changed after it was committed (bytes were added to it, as it had no newline)`;
      else {
        const hash = createHash('sha256');
        const prefix = await hashBytes(handle, note.bytes, hash);
        if (prefix < note.bytes || hash.copy().digest('hex') !== note.sha256)
          problem = `its first ${fmt(note.lines)} lines are different (the file was replaced or rewritten)`;
        else [this.#hash, this.#hashed] = [hash, { offset: note.bytes, lines: note.lines, open: note.open }];
      }
    }
    if (problem === undefined && taken - base > this.#hashed.lines) {
      // The lines the app took beyond the note must still be there: a file cut short drains with nothing.
      const wanted = taken - base;
      this.#hashed = await hashFileLines(handle, this.#hashed, wanted - this.#hashed.lines, this.#hash);
      if (this.#hashed.lines < wanted)
        problem = `it has ${fmt(this.#hashed.lines)} lines, fewer than the ${fmt(wanted)} taken from it (the file was truncated or replaced)`;
    }
    if (problem !== undefined) {
      if (!fromStart) {
        throw new ConfigError(
          '--source',
          `${this.#id} is not the file whose lines 1-${fmt(Math.max(committed, taken) - base)} app ${ledger.app} committed: ${problem}; to count this file from its first line on top of the state, run again with --from-start; to count it apart, give it a new --checkpoint-dir or --app`,
        );
      }
      // A new log after everything taken so far: noted before the first read, so a crash keeps it.
      this.#base = taken;
      [this.#hash, this.#hashed] = [createHash('sha256'), EMPTY];
      await this.#keep();
      return this.#base;
    }
    this.#base = base;
    if (this.#hashed.lines > (note?.lines ?? -1)) await this.#keep();
    return this.#base;
  }

  /** Extends the note to every line up to `seq`, now committed. */
  committed(seq: string): Promise<void> {
    const next = this.#queue.then(() => this.#extend(Number(seq) - this.#base));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #extend(lines: number): Promise<void> {
    if (lines <= this.#hashed.lines) return;
    this.#hashed = await hashFileLines(await this.#handle(), this.#hashed, lines - this.#hashed.lines, this.#hash);
    if (this.#hashed.lines < lines) {
      throw new ConfigError(
        '--source',
        `${this.#id} changed while it was read: line ${fmt(lines)} was committed, the file now has ${fmt(this.#hashed.lines)}; the file must only grow while sluice reads it`,
      );
    }
    await this.#keep();
  }

  #keep(): Promise<void> {
    const note: FileNote = {
      id: this.#id,
      base: this.#base,
      lines: this.#hashed.lines,
      bytes: this.#hashed.offset,
      sha256: this.#hash.copy().digest('hex'),
      open: this.#hashed.open,
    };
    return this.#ledger.keepNote(this.#shardId, JSON.stringify(note));
  }
}

/** Feeds `hash` the first `bytes` bytes of the file; returns how many there were. */
async function hashBytes(handle: FileHandle, bytes: number, hash: Hash): Promise<number> {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let at = 0;
  while (at < bytes) {
    const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, bytes - at), at);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    at += bytesRead;
  }
  return at;
}

function parseNote(key: string, data: string | undefined): FileNote | undefined {
  if (data === undefined) return undefined;
  try {
    const note = JSON.parse(data) as FileNote;
    if (typeof note.id === 'string' && [note.base, note.lines, note.bytes].every((n) => Number.isSafeInteger(n) && n >= 0) && typeof note.sha256 === 'string')
      return note;
  } catch {
    // Reported below.
  }
  throw new CorruptDataError(key, 'not a file source note: expected {id, base, lines, bytes, sha256, open}');
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
