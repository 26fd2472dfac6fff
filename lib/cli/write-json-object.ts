import type { Writable } from 'node:stream';
import { jsonKey } from '../runtime/protocol/read-merged-state';

/** Bytes gathered before a write: few writes, and never the whole object in one string. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Writes `entries` to `out` as one JSON object `{"key":value,...}` and a newline, a chunk at a
 * time, waiting for the stream to drain: a state of millions of keys never becomes one string.
 * Resolves `false`, quietly, when the reader went away (`sluice state dump | head`).
 */
export async function writeJsonObject(out: Writable, entries: Iterable<[unknown, unknown]>): Promise<boolean> {
  let closed = false;
  let failure: Error | undefined;
  const onError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') closed = true;
    else failure = error;
  };
  out.on('error', onError);
  try {
    let chunk = '{';
    let first = true;
    const flush = async (): Promise<void> => {
      const ok = out.write(chunk);
      chunk = '';
      if (!ok && !closed)
        await new Promise<void>((resolve) => {
          const done = (): void => {
            out.off('drain', done);
            out.off('close', done);
            out.off('error', done);
            resolve();
          };
          out.once('drain', done);
          out.once('close', done);
          out.once('error', done);
        });
    };
    for (const [key, value] of entries) {
      if (failure !== undefined) throw failure;
      if (closed) return false;
      chunk += `${first ? '' : ','}${JSON.stringify(jsonKey(key))}:${JSON.stringify(value) ?? 'null'}`;
      first = false;
      if (chunk.length >= CHUNK_CHARS) await flush();
    }
    chunk += '}\n';
    await flush();
    if (failure !== undefined) throw failure;
    return !closed;
  } finally {
    out.off('error', onError);
  }
}
