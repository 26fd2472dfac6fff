import type { Readable } from 'node:stream';
import { LineSplitter } from './line-splitter';
import type { ReceiverLog } from './receiver-log';

/** Callbacks of {@link receiveLines}. */
export interface ReceiveLinesHandlers {
  /** Called with the cumulative count of this stream's lines that are durable, in increasing order. */
  readonly onDurable?: (count: number) => void;
  /** Called when the stream ended, with a promise that resolves once all its lines are durable. */
  readonly onEnd?: (allDurable: Promise<void>) => void;
  /** Called when the stream failed; complete lines received before stay in the log. */
  readonly onError?: (error: Error) => void;
}

/**
 * Feeds the lines of `input` into `log` — the receiving half of stdin and socket sources. Reports
 * durability per stream, never ahead of the log, and pauses the stream while a block's worth of
 * records waits to be written, so memory stays bounded when input outruns the disk.
 * Returns a function that stops receiving: later chunks are ignored and the stream stays paused.
 */
export function receiveLines(input: Readable, log: ReceiverLog, handlers: ReceiveLinesHandlers, pauseAtRecords: number): () => void {
  const splitter = new LineSplitter();
  let appended = 0;
  let reported = 0;
  let stopped = false;
  let last: Promise<void> = Promise.resolve();
  const deliver = (lines: Uint8Array[]): void => {
    if (lines.length === 0 || stopped) return;
    appended += lines.length;
    const count = appended;
    last = log.append(lines);
    last.then(
      () => {
        if (count > reported) handlers.onDurable?.((reported = count));
      },
      // The log refused (closed, or another writer owns it): stop taking input we cannot keep.
      () => input.destroy(),
    );
    if (log.pendingRecords >= pauseAtRecords && !input.isPaused()) {
      input.pause();
      void last.then(() => stopped || input.resume(), () => undefined);
    }
  };
  input.on('data', (chunk: Uint8Array | string) => deliver(splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
  input.on('end', () => {
    deliver(splitter.end());
    handlers.onEnd?.(last);
  });
  input.on('error', (error) => handlers.onError?.(error));
  return () => {
    stopped = true;
    input.pause();
  };
}
