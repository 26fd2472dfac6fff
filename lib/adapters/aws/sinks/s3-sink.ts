import { setTimeout as sleepMs } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../../../core/errors';
import type { BatchInfo } from '../../../core/pipeline/op-spec';
import type { Windowed } from '../../../core/window/windowed';
import { awsClientConfig } from '../aws-clients';
import { forEachLimited, lazyClient, requireName, type BatchSink, type SinkCommonOptions } from './sink-common';

/** Options of {@link s3Sink}. */
export interface S3SinkOptions extends SinkCommonOptions {
  readonly bucket: string;
  /**
   * Prepended to every key, e.g. `exports/`.
   * @default ''
   */
  readonly prefix?: string;
  /**
   * `jsonl`: one JSON value per line. `csv`: one row per element, with a header row of `columns`
   * (RFC 4180 quoting); elements are objects (read by column name) or arrays (by position).
   * @default 'jsonl'
   */
  readonly format?: 'jsonl' | 'csv';
  /** With `format: 'csv'`: the columns, in order. Required for CSV. */
  readonly columns?: readonly string[];
  /**
   * Compress every object with gzip (`.gz` appended to the key, `ContentEncoding: gzip`).
   * @default false
   */
  readonly gzip?: boolean;
  /**
   * For windowed output (`window`, `reduceByKeyAndWindow`, `countByWindow`): one object per window
   * of the batch, named by its start and end, holding the window's `value` (an array's items, one
   * per line or row; anything else as one line).
   * @default false
   */
  readonly perWindow?: boolean;
  /**
   * Write an object for a batch (or window) without elements.
   * @default false
   */
  readonly writeEmpty?: boolean;
  /** @default - a client from `aws`, or from the environment */
  readonly client?: S3Client;
}

/** The key of a batch's object: `{prefix}{app}/{shard}/{batchNo:020}[-w{start}-{end}].{ext}`, sortable by batch. */
export function s3SinkKey(
  info: BatchInfo,
  options: { prefix?: string; format?: 'jsonl' | 'csv'; gzip?: boolean },
  window?: { startMs: number; endMs: number },
): string {
  const ext = `${options.format ?? 'jsonl'}${options.gzip === true ? '.gz' : ''}`;
  const w = window === undefined ? '' : `-w${window.startMs}-${window.endMs}`;
  return `${options.prefix ?? ''}${info.app}/${info.shardId}/${String(info.batchNo).padStart(20, '0')}${w}.${ext}`;
}

/**
 * A `foreachBatch` sink that writes one S3 object per batch (or per window of the batch), named by
 * app, shard and batch number and written create-only (`If-None-Match: *`). A re-run of the batch
 * makes the same object under the same key; S3 refuses the second put (412) and the sink takes that
 * as done: one object per batch, whatever the crashes and duplicate invocations.
 *
 * @example
 * clicks.foreachBatch(s3Sink({ bucket: process.env.EXPORT_BUCKET!, prefix: 'clicks/', format: 'jsonl', gzip: true }))
 */
export function s3Sink<T>(options: S3SinkOptions): BatchSink<T> {
  const bucket = requireName('s3Sink.bucket', options.bucket);
  const format = options.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') throw new ConfigError('s3Sink.format', `must be 'jsonl' or 'csv' (given ${JSON.stringify(format)})`);
  const columns = options.columns;
  if (format === 'csv' && (columns === undefined || columns.length === 0))
    throw new ConfigError('s3Sink.columns', "is required with format 'csv': the header row and the order of the fields");
  const client = lazyClient(
    options.client,
    () => new S3Client({ ...awsClientConfig(options.aws), forcePathStyle: awsClientConfig(options.aws).endpoint !== undefined }),
  );
  const render = (rows: readonly unknown[]): string => (format === 'jsonl' ? rows.map(jsonLine).join('') : csvOf(rows, columns!));

  const put = async (key: string, rows: readonly unknown[]): Promise<void> => {
    const text = new TextEncoder().encode(render(rows));
    const body = options.gzip === true ? gzipSync(text) : text;
    // A concurrent run of this batch may be writing the same key: S3 answers 409 until it is done.
    for (let attempt = 0; ; attempt++) {
      try {
        await client().send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            IfNoneMatch: '*',
            ContentType: format === 'jsonl' ? 'application/x-ndjson' : 'text/csv',
            ...(options.gzip === true ? { ContentEncoding: 'gzip' } : {}),
          }),
        );
        return;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // 412: the object exists, written by an earlier run of this very batch, with the same bytes.
        if (status === 412) return;
        if (status !== 409 || attempt >= (options.maxRetries ?? 8)) throw error;
        await sleepMs(Math.random() * Math.min(5_000, (options.baseDelayMs ?? 50) * 2 ** attempt));
      }
    }
  };

  return async (items, info) => {
    if (options.perWindow !== true) {
      if (items.length > 0 || options.writeEmpty === true) await put(s3SinkKey(info, options), items);
      return;
    }
    const windows = items.map((w, i) => {
      const win = w as Windowed<unknown>;
      if (typeof win !== 'object' || win === null || typeof win.startMs !== 'number' || typeof win.endMs !== 'number') {
        throw new TypeError(
          `s3Sink: element ${i} of batch ${info.batchId} is not a window ({ startMs, endMs, value }); use perWindow only after a window operator`,
        );
      }
      return win;
    });
    await forEachLimited(windows, 8, async (w) => {
      const rows = Array.isArray(w.value) ? w.value : [w.value];
      if (rows.length > 0 || options.writeEmpty === true) await put(s3SinkKey(info, options, w), rows);
    });
  };
}

function jsonLine(x: unknown): string {
  return `${JSON.stringify(x) ?? 'null'}\n`;
}

/** RFC 4180: header row, CRLF line ends, fields quoted when they hold a quote, comma or line break. */
export function csvOf(rows: readonly unknown[], columns: readonly string[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) {
    const fields = Array.isArray(row)
      ? columns.map((_, i) => row[i] as unknown)
      : typeof row === 'object' && row !== null
        ? columns.map((c) => (row as Record<string, unknown>)[c])
        : [row];
    lines.push(fields.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvField(value: unknown): string {
  const text = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
