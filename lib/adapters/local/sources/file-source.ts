import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError } from '../../../core/errors';
import type { ReadResult, ShardInfo, Source } from '../../../ports/source';
import type { SourceLedger } from '../../../ports/source-ledger';
import { FileIdentity } from './file-identity';
import { parseLocalSeq } from './parse-seq';
import { scanLines } from './scan-lines';

/** The file source's only shard. */
export const FILE_SHARD_ID = 'file-0';

/** 64 KiB reads: large enough that syscalls do not dominate, small enough to be noise in memory. */
export const DEFAULT_FILE_CHUNK_BYTES = 64 * 1024;

/** One index entry per 1,024 lines: a seek lands at most 1,023 lines (~100 KB) before its target. */
export const DEFAULT_FILE_INDEX_EVERY_LINES = 1_024;

/** Options of {@link FileSource}. */
export interface FileSourceOptions {
  /** @default {@link DEFAULT_FILE_CHUNK_BYTES} */
  readonly chunkBytes?: number;
  /** @default {@link DEFAULT_FILE_INDEX_EVERY_LINES} */
  readonly indexEveryLines?: number;
  /**
   * The app's checkpoint, to check at start that the file is the one whose lines it committed (see
   * {@link FileIdentity}) and to note each commit. @default - unchecked: the file is taken as it is
   */
  readonly ledger?: SourceLedger;
  /** A file that is not the one committed is counted from its first line, on top of the state. @default false */
  readonly fromStart?: boolean;
}

/**
 * One record per line of a file, seq = line number from 1: replayable by construction, since the
 * same line number always names the same bytes. Reads in chunks and keeps a sparse index
 * (line number → byte offset) built while reading, so any later read — a replay, a re-run from the
 * committed seq — seeks to within {@link DEFAULT_FILE_INDEX_EVERY_LINES} lines of its target instead
 * of rescanning from the start. A fresh process scans once up to its first `afterSeq`.
 *
 * The file may grow while it is read, and between runs, but must not change otherwise: with a
 * `ledger`, a file replaced or cut short since its lines were committed is refused at start (or,
 * with `fromStart`, counted anew: its line n is then seq `base + n`, after everything committed).
 * `arrivalMs` is its modification time.
 */
export class FileSource implements Source {
  private readonly chunkBytes: number;
  private readonly indexEvery: number;
  /** `index[j]` is the byte offset where line `j * indexEvery + 1` starts; filled contiguously. */
  private readonly index: number[] = [0];
  private cursor = { line: 1, offset: 0 };
  private handle: Promise<FileHandle> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private scannedBytes = 0;
  private readonly identity: FileIdentity | undefined;
  private readonly fromStart: boolean;
  private checked: Promise<number> | undefined;

  /** `file:` and the absolute path: another file under the same checkpoint is refused, not skipped into. */
  readonly id: string;

  constructor(
    readonly path: string,
    options: FileSourceOptions = {},
  ) {
    this.id = `file:${resolve(path)}`;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_FILE_CHUNK_BYTES;
    this.indexEvery = options.indexEveryLines ?? DEFAULT_FILE_INDEX_EVERY_LINES;
    this.fromStart = options.fromStart ?? false;
    this.identity =
      options.ledger === undefined ? undefined : new FileIdentity({ id: this.id, shardId: FILE_SHARD_ID, ledger: options.ledger, handle: () => this.open() });
  }

  /** Bytes read from disk so far: shows that reads seek rather than rescan. */
  get bytesScanned(): number {
    return this.scannedBytes;
  }

  async listShards(): Promise<ShardInfo[]> {
    await this.open();
    await this.base();
    return [{ shardId: FILE_SHARD_ID, parentShardIds: [] }];
  }

  read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    if (shardId !== FILE_SHARD_ID) return Promise.reject(new SluiceError(`file source has no shard ${shardId}`));
    // One read at a time: they share the cursor and the index.
    const result = this.queue.then(async () => {
      const base = await this.base();
      // Below the base is the log before --from-start: this file's lines all come after it.
      return this.readLines(Math.max(0, parseLocalSeq(afterSeq, 'file') - base), maxRecords, base);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Notes the committed lines, so the next start can tell whether the file is still this one. */
  async committed(shardId: string, seq: string): Promise<void> {
    if (shardId === FILE_SHARD_ID) await this.identity?.committed(seq);
  }

  /** The seq of the line before the first, once the file was checked against the checkpoint (0 unchecked). */
  private base(): Promise<number> {
    this.checked ??= this.identity === undefined ? Promise.resolve(0) : this.identity.check(this.fromStart);
    return this.checked;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }

  private async readLines(after: number, maxRecords: number, base: number): Promise<ReadResult> {
    const handle = await this.open();
    const stat = await this.failOnIo(() => handle.stat());
    const target = after + 1;
    const start = this.startFor(target);
    const scan = await this.failOnIo(() =>
      scanLines(handle, {
        ...start,
        firstWanted: target,
        maxLines: Math.max(0, maxRecords),
        chunkBytes: this.chunkBytes,
        onLineStart: (line, offset) => this.indexLine(line, offset),
      }),
    );
    this.scannedBytes += scan.bytesRead;
    this.cursor = { line: scan.nextLine, offset: scan.nextOffset };
    const records = scan.lines.map((data, i) => ({ seq: String(base + target + i), arrivalMs: Math.floor(stat.mtimeMs), partitionKey: FILE_SHARD_ID, data }));
    // Past the last line when the next line would start at (or beyond) the end of the file.
    return { records, endOfShard: false, endOfData: scan.nextOffset >= stat.size };
  }

  /** The closest known line start at or before `target`: the cursor of a sequential read, else the index. */
  private startFor(target: number): { line: number; offset: number } {
    const slot = Math.min(Math.floor((target - 1) / this.indexEvery), this.index.length - 1);
    const indexed = { line: slot * this.indexEvery + 1, offset: this.index[slot]! };
    return this.cursor.line <= target && this.cursor.line > indexed.line ? this.cursor : indexed;
  }

  private indexLine(line: number, offset: number): void {
    // Scans start at a known line start and move forward, so new entries always append in order.
    if ((line - 1) % this.indexEvery === 0 && (line - 1) / this.indexEvery === this.index.length) this.index.push(offset);
  }

  private open(): Promise<FileHandle> {
    this.handle ??= this.failOnIo(() => open(this.path, 'r'));
    return this.handle;
  }

  private async failOnIo<T>(io: () => Promise<T>): Promise<T> {
    try {
      return await io();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new SluiceError(`cannot read file source ${this.path}: ${code}`, { cause: error });
    }
  }
}
