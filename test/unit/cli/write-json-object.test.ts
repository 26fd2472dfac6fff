import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeJsonObject } from '../../../lib/cli/write-json-object';

describe('writeJsonObject', () => {
  it('writes the entries as one JSON object, in chunks, waiting for the reader', async () => {
    // Prepare: a reader with a tiny buffer, and 20,000 entries (about 600 KB of JSON).
    const out = new PassThrough({ highWaterMark: 1024 });
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const entries = Array.from({ length: 20_000 }, (_, i): [unknown, unknown] => (i % 2 === 0 ? [`word-${i}`, i] : [[i, 'pair'], { n: i }]));
    // Act
    const done = await writeJsonObject(out, entries);
    // Assess
    expect(done).toBe(true);
    expect(chunks.length).toBeGreaterThan(5);
    const parsed = JSON.parse(chunks.join('')) as Record<string, unknown>;
    expect(Object.keys(parsed)).toHaveLength(20_000);
    expect(parsed['word-0']).toBe(0);
    expect(parsed['[1,"pair"]']).toEqual({ n: 1 });
  });

  it('stops quietly when the reader goes away (EPIPE)', async () => {
    // Prepare: a reader that takes one chunk, then its pipe breaks.
    let writes = 0;
    const out = new Writable({
      highWaterMark: 1,
      write(_chunk, _enc, callback) {
        writes++;
        callback(writes > 1 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : null);
      },
    });
    const entries = Array.from({ length: 50_000 }, (_, i): [unknown, unknown] => [`k${i}`, i]);
    // Act
    const done = await writeJsonObject(out, entries);
    // Assess
    expect(done).toBe(false);
    expect(writes).toBeLessThan(5);
  });
});
