import logUpdate from 'log-update';
import pc from 'picocolors';
import type { BatchInfo } from '../core/pipeline/op-spec';
import type { OutputSink } from '../ports/output-sink';
import type { DriverBatchEvent } from '../runtime/local-driver/local-driver';

/** Options of {@link LiveView}. */
export interface LiveViewOptions {
  readonly title: string;
  /** Redraw a panel in place (a terminal) instead of appending lines (a pipe, a CI log). @default process.stdout.isTTY */
  readonly interactive?: boolean;
  readonly write?: (text: string) => void;
  /** Batches kept on screen. @default 8 */
  readonly rows?: number;
}

interface Row {
  readonly shardId: string;
  readonly batchNo: string;
  readonly time: string;
  readonly records: number;
  readonly processingMs: number;
  readonly schedulingDelayMs: number;
  readonly rate: number | undefined;
  readonly quarantined: number;
  readonly quarantinedElements: number;
}

/**
 * The terminal view of `sluice run` and `sluice dev`: per batch its time, records, processing ms,
 * scheduling delay and current rate, plus what `print()` printed last (the top counts). It is also
 * the pipeline's {@link OutputSink}.
 */
export class LiveView implements OutputSink {
  readonly #o: LiveViewOptions;
  readonly #interactive: boolean;
  readonly #write: (text: string) => void;
  readonly #rows: Row[] = [];
  #printed: { info: BatchInfo; items: readonly unknown[]; total: number } | undefined;
  #records = 0;
  #batches = 0;
  #quarantined = 0;
  #quarantinedElements = 0;
  readonly #startedMs = Date.now();

  constructor(options: LiveViewOptions) {
    this.#o = options;
    this.#interactive = options.interactive ?? Boolean(process.stdout.isTTY);
    this.#write = options.write ?? ((text) => process.stdout.write(text));
  }

  print(info: BatchInfo, _operatorId: string, items: readonly unknown[], total: number): void {
    this.#printed = { info, items, total };
    if (!this.#interactive) {
      // Spark's DStream.print format, so logs read the same as a Spark job's.
      const rule = '-------------------------------------------';
      this.#write(
        `${rule}\nTime: ${Math.round(info.batchTimeMs)} ms (batch ${info.batchNo}, shard ${info.shardId})\n${rule}\n${items.map(formatItem).join('\n')}${total > items.length ? '\n...' : ''}\n\n`,
      );
    }
  }

  batch(event: DriverBatchEvent): void {
    const committed = event.batches;
    for (const b of committed) {
      this.#records += b.records;
      this.#batches++;
      this.#quarantined += b.quarantined;
      this.#quarantinedElements += b.quarantinedElements ?? 0;
    }
    const row: Row = {
      shardId: event.shardId,
      batchNo: committed.length === 0 ? '-' : committed.map((b) => b.batchNo).join('+'),
      time: new Date(event.scheduledMs).toISOString().slice(11, 19),
      records: event.records,
      processingMs: committed.reduce((n, b) => n + b.processingMs, 0),
      schedulingDelayMs: event.schedulingDelayMs,
      rate: event.rate,
      quarantined: committed.reduce((n, b) => n + b.quarantined, 0),
      quarantinedElements: committed.reduce((n, b) => n + (b.quarantinedElements ?? 0), 0),
    };
    this.#rows.push(row);
    if (this.#rows.length > (this.#o.rows ?? 8)) this.#rows.shift();
    if (this.#interactive) logUpdate(this.#render());
    else this.#write(`${event.shardId} ${formatRow(row)}\n`);
  }

  /** What the batches shown so far set aside: whole records, and one key's values (ADR 0014). */
  get quarantined(): { readonly records: number; readonly elements: number } {
    return { records: this.#quarantined, elements: this.#quarantinedElements };
  }

  /** Leaves the last frame on screen and prints the totals. */
  done(summary: string): void {
    if (this.#interactive) logUpdate.done();
    this.#write(`${summary}\n`);
  }

  #render(): string {
    const shardWidth = Math.max(5, ...this.#rows.map((r) => r.shardId.length));
    const elapsed = ((Date.now() - this.#startedMs) / 1000).toFixed(1);
    const lines = [
      `${pc.bold('sluice')} ${this.#o.title}  ${pc.dim(`${elapsed} s`)}`,
      pc.dim(
        `${'shard'.padEnd(shardWidth)} ${'batch'.padStart(7)} ${'time'.padEnd(8)} ${'records'.padStart(9)} ${'proc ms'.padStart(8)} ${'sched ms'.padStart(9)} ${'limit/s'.padStart(9)}`,
      ),
      ...this.#rows.map((r) => `${r.shardId.padEnd(shardWidth)} ${formatRow(r)}`),
      `${pc.dim('total')} ${this.#records.toLocaleString('en-US')} records in ${this.#batches} batches, ${setAside(this.#quarantined, this.#quarantinedElements)}`,
    ];
    if (this.#printed !== undefined) {
      lines.push(pc.dim(`print (batch ${this.#printed.info.batchNo}):`));
      for (const item of this.#printed.items) lines.push(`  ${formatItem(item)}`);
    }
    return lines.join('\n');
  }
}

/** Times and rates are shown whole: Lambda's allowance schedule and the PID compute fractions. */
function formatRow(r: Row): string {
  const whole = (n: number): string => Math.round(n).toLocaleString('en-US');
  const delay = r.schedulingDelayMs > 1000 ? pc.yellow(whole(r.schedulingDelayMs).padStart(9)) : whole(r.schedulingDelayMs).padStart(9);
  const q = r.quarantined + r.quarantinedElements > 0 ? pc.red(` ${setAside(r.quarantined, r.quarantinedElements)}`) : '';
  return `${r.batchNo.padStart(7)} ${r.time.padEnd(8)} ${r.records.toLocaleString('en-US').padStart(9)} ${whole(r.processingMs).padStart(8)} ${delay} ${(r.rate === undefined ? 'none' : whole(r.rate)).padStart(9)}${q}`;
}

function formatItem(item: unknown): string {
  if (Array.isArray(item) && item.length === 2) return `(${formatScalar(item[0])},${formatScalar(item[1])})`;
  return formatScalar(item);
}

function formatScalar(x: unknown): string {
  return typeof x === 'string' ? x : JSON.stringify(x);
}

/** What a batch set aside: whole records, and one key's values that an operator after a barrier threw on (ADR 0014). */
function setAside(records: number, elements: number): string {
  const r = `${records.toLocaleString('en-US')} ${records === 1 ? 'record' : 'records'} quarantined`;
  return elements === 0 ? r : `${r}, ${elements.toLocaleString('en-US')} ${elements === 1 ? "key's values" : "keys' values"} quarantined`;
}
