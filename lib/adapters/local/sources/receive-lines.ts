import type { Readable } from 'node:stream';
import { LineSplitter } from './line-splitter';
import type { AppendedLines, ReceiverLog } from './receiver-log';

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
 * this stream's durable line count after every durable block (never ahead of the log), and pauses
 * the stream while `pauseAtRecords` records wait to be written, so memory stays bounded when
 * input outruns the disk. Returns a function that stops receiving: later chunks are ignored.
 */
export function receiveLines(input: Readable, log: ReceiverLog, handlers: ReceiveLinesHandlers, pauseAtRecords: number): () => void {
  const splitter = new LineSplitter();
  /** This stream's appends not yet fully durable: their seqs and the lines of the stream before them. */
  const pending: Array<{ firstSeq: number; lastSeq: number; before: number }> = [];
  let appended = 0;
  let reported = 0;
  let stopped = false;
  let last: Promise<void> = Promise.resolve();
  const report = (durableSeq: number): void => {
    let count = reported;
    while (pending[0] && pending[0].lastSeq <= durableSeq) {
      const done = pending.shift()!;
      count = done.before + done.lastSeq - done.firstSeq + 1;
    }
    // A block may end in the middle of one of this stream's appends.
    const head = pending[0];
    if (head && durableSeq >= head.firstSeq) count = head.before + durableSeq - head.firstSeq + 1;
    if (count > reported) handlers.onDurable?.((reported = count));
  };
  const unsubscribe = log.onDurable(report);
  const deliver = (lines: Uint8Array[]): void => {
    if (lines.length === 0 || stopped) return;
    let appendedLines: AppendedLines;
    try {
      appendedLines = log.append(lines);
    } catch {
      // The log refused (closed, or another writer owns it): stop taking input we cannot keep.
      input.destroy();
      return;
    }
    pending.push({ firstSeq: appendedLines.firstSeq, lastSeq: appendedLines.lastSeq, before: appended });
    appended += lines.length;
    last = appendedLines.durable;
    last.catch(() => input.destroy());
    if (log.pendingRecords >= pauseAtRecords && !input.isPaused()) {
      input.pause();
      void last.then(
        () => stopped || input.resume(),
        () => undefined,
      );
    }
  };
  input.on('data', (chunk: Uint8Array | string) => deliver(splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
  input.on('end', () => {
    deliver(splitter.end());
    handlers.onEnd?.(last);
  });
  input.on('error', (error) => handlers.onError?.(error));
  input.on('close', () => void last.finally(unsubscribe).catch(() => undefined));
  return () => {
    stopped = true;
    input.pause();
  };
}
