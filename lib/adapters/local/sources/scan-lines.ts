import type { FileHandle } from 'node:fs/promises';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Where and how a {@link scanLines} pass starts and stops. */
export interface ScanRequest {
  /** Byte offset where line `line` starts. */
  readonly offset: number;
  readonly line: number;
  /** First line whose bytes are kept; lines before it are only counted. */
  readonly firstWanted: number;
  /** Stop after keeping this many lines. */
  readonly maxLines: number;
  readonly chunkBytes: number;
  /** Called with every line start passed, so the caller can index it. */
  readonly onLineStart: (line: number, offset: number) => void;
}

/** Lines kept by a scan, and where the next line starts. */
export interface ScanResult {
  readonly lines: Uint8Array[];
  readonly nextLine: number;
  readonly nextOffset: number;
  /** Bytes this scan read from the file. */
  readonly bytesRead: number;
}

/**
 * Reads lines from `offset` in fixed chunks: memory is one chunk plus the kept lines, whatever the
 * file size. A line ends at `\n` (removed with one trailing `\r`); a last line without `\n` counts.
 * Kept lines are copies, so the reused chunk buffer never leaks into records.
 */
export async function scanLines(handle: FileHandle, request: ScanRequest): Promise<ScanResult> {
  const chunk = Buffer.allocUnsafe(request.chunkBytes);
  const lines: Uint8Array[] = [];
  let line = request.line;
  let lineStart = request.offset;
  let readAt = request.offset;
  let pieces: Uint8Array[] = [];
  const keep = (): boolean => line >= request.firstWanted;
  // Reaching the first wanted line is part of the job even when no line is wanted (maxLines 0).
  const more = (): boolean => line < request.firstWanted || lines.length < request.maxLines;
  while (more()) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, readAt);
    if (bytesRead === 0) {
      // End of file: a non-empty remainder is a last line without newline.
      if (lineStart < readAt) {
        if (keep()) lines.push(joinLine(pieces));
        line++;
        lineStart = readAt;
        request.onLineStart(line, lineStart);
      }
      break;
    }
    const data = chunk.subarray(0, bytesRead);
    let from = 0;
    while (more()) {
      const newline = data.indexOf(NEWLINE, from);
      if (newline < 0) break;
      if (keep()) lines.push(joinLine(pieces, data.subarray(from, newline)));
      pieces = [];
      line++;
      lineStart = readAt + newline + 1;
      request.onLineStart(line, lineStart);
      from = newline + 1;
    }
    // Only the unfinished part of a kept line is copied; skipped lines cost no memory.
    if (more() && from < bytesRead && keep()) pieces.push(new Uint8Array(data.subarray(from)));
    readAt += bytesRead;
  }
  return { lines, nextLine: line, nextOffset: lineStart, bytesRead: readAt - request.offset };
}

function joinLine(pieces: readonly Uint8Array[], tail: Uint8Array = new Uint8Array(0)): Uint8Array {
  let length = tail.length;
  for (const piece of pieces) length += piece.length;
  const last = tail.length > 0 ? tail[tail.length - 1] : pieces[pieces.length - 1]?.[pieces[pieces.length - 1]!.length - 1];
  if (last === CARRIAGE_RETURN) length--;
  const line = new Uint8Array(length);
  let at = 0;
  for (const piece of [...pieces, tail]) {
    const take = Math.min(piece.length, length - at);
    line.set(piece.subarray(0, take), at);
    at += take;
  }
  return line;
}
