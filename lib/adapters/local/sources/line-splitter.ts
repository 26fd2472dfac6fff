const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Cuts a byte stream into lines the way the file source does: `\n` ends a line and is removed with
 * one trailing `\r`; what is left when the stream ends is a last line if it is not empty. Works on
 * bytes, so a multi-byte character split across chunks arrives intact.
 */
export class LineSplitter {
  private pieces: Uint8Array[] = [];

  /** Returns the lines that `chunk` completes; keeps an unfinished line for the next chunk. */
  push(chunk: Uint8Array): Uint8Array[] {
    const lines: Uint8Array[] = [];
    let from = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, from)) {
      this.pieces.push(chunk.subarray(from, newline));
      lines.push(this.take());
      from = newline + 1;
    }
    // Copied: streams may reuse the chunk's memory after the 'data' callback.
    if (from < chunk.length) this.pieces.push(new Uint8Array(chunk.subarray(from)));
    return lines;
  }

  /** Ends the stream: the unfinished line, if any, as a last line. */
  end(): Uint8Array[] {
    return this.pieces.some((piece) => piece.length > 0) ? [this.take()] : [];
  }

  private take(): Uint8Array {
    let length = 0;
    for (const piece of this.pieces) length += piece.length;
    const line = new Uint8Array(length);
    let at = 0;
    for (const piece of this.pieces) {
      line.set(piece, at);
      at += piece.length;
    }
    this.pieces = [];
    return line[length - 1] === CARRIAGE_RETURN ? line.subarray(0, length - 1) : line;
  }
}
