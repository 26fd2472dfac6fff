import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

const NEWLINE = 0x0a;

/** How far a {@link hashFileLines} pass got: the hash covers exactly the bytes before `offset`. */
export interface HashedLines {
  /** Where the line after the last one hashed starts (the end of the file after an open last line). */
  readonly offset: number;
  readonly lines: number;
  /** The last line hashed ended the file without a newline: bytes added later would change it. */
  readonly open: boolean;
}

/**
 * Feeds `hash` the bytes of the next `count` lines after `from`, and says where it stopped. A line
 * ends after its `\n`; a last line without one counts, as the file source counts it. Fewer lines
 * than asked means the file ended first. Reads in chunks: memory is one chunk, whatever the file.
 */
export async function hashFileLines(handle: FileHandle, from: HashedLines, count: number, hash: Hash, chunkBytes = 64 * 1024): Promise<HashedLines> {
  const chunk = Buffer.allocUnsafe(chunkBytes);
  let { offset, lines, open } = from;
  let cursor = offset;
  let wanted = count;
  while (wanted > 0 && !open) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, cursor);
    if (bytesRead === 0) {
      // The bytes after the last newline, hashed already, are the file's last line.
      if (cursor > offset) {
        lines++;
        open = true;
        offset = cursor;
      }
      break;
    }
    let take = bytesRead;
    let from = 0;
    while (wanted > 0) {
      const newline = chunk.indexOf(NEWLINE, from);
      if (newline < 0 || newline >= bytesRead) break;
      from = newline + 1;
      lines++;
      wanted--;
      offset = cursor + from;
    }
    if (wanted === 0) take = from;
    hash.update(chunk.subarray(0, take));
    cursor += take;
  }
  return { offset, lines, open };
}
