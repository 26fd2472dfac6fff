import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_SHARD_ID, FileSource } from '../../../lib/adapters/local/sources/file-source';

const LINES = 500_000;
/** Line i is `i` then padding to 100 bytes, so every record says which line it is. */
const lineOf = (i: number): string => `${i} `.padEnd(99, 'abcdefghij'[i % 10]);

// A real gc() between batches turns "memory in use" into a stable measure of what the source retains.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const liveBytes = (): number => {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

describe('FileSource on a 50 MB file', () => {
  let dir: string;
  let path: string;
  let size: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-large-file-'));
    path = join(dir, 'big.txt');
    const out = createWriteStream(path);
    for (let i = 1; i <= LINES; i += 1_000) {
      let block = '';
      for (let j = i; j < i + 1_000; j++) block += `${lineOf(j)}\n`;
      if (!out.write(block)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    size = (await stat(path)).size;
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every line once in pieces, scanning the file once, with bounded memory', async () => {
    // Prepare
    const source = new FileSource(path);
    let baseline: number | undefined;
    let peak = 0;
    let after: string | undefined;
    let count = 0;
    let endOfData = false;

    // Act
    while (!endOfData) {
      // Measured between reads, when only the source holds memory (the last batch is garbage),
      // from after the first read, so compiling code and warming up caches do not count.
      if (after !== undefined) {
        baseline ??= liveBytes();
        peak = Math.max(peak, liveBytes() - baseline);
      }
      const result = await source.read(FILE_SHARD_ID, after, 10_000);
      for (const record of result.records) {
        const text = new TextDecoder().decode(record.data);
        if (text !== lineOf(Number(record.seq))) throw new Error(`line ${record.seq} reads ${text}`);
      }
      count += result.records.length;
      after = result.records.at(-1)?.seq ?? after;
      endOfData = result.endOfData;
    }
    await source.close();

    // Assess
    expect(size).toBe(LINES * 100);
    expect(count).toBe(LINES);
    expect(after).toBe(String(LINES));
    // Sequential pieces continue from the cursor: the file is read once, plus at most a chunk per read.
    expect(source.bytesScanned).toBeLessThanOrEqual(size + 51 * 64 * 1024);
    // The sparse index (~500 entries) and one chunk stay; the file (50 MB) never does.
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });

  it('restarts at an arbitrary seq with one scan, then seeks for every later read', async () => {
    // Prepare: a fresh process resuming at a committed seq deep in the file
    const source = new FileSource(path);

    // Act
    const resumed = await source.read(FILE_SHARD_ID, '345678', 5);
    const afterResume = source.bytesScanned;
    const replays = [];
    for (const seq of [1, 123_456, 345_000, 200_001]) replays.push(await source.read(FILE_SHARD_ID, String(seq - 1), 2));
    const seekBytes = source.bytesScanned - afterResume;
    await source.close();

    // Assess
    expect(resumed.records.map((r) => r.seq)).toEqual(['345679', '345680', '345681', '345682', '345683']);
    expect(new TextDecoder().decode(resumed.records[0]!.data)).toBe(lineOf(345_679));
    expect(replays.map((r) => new TextDecoder().decode(r.records[0]!.data))).toEqual([1, 123_456, 345_000, 200_001].map(lineOf));
    // Each replay reads from an index entry at most 1,023 lines (~100 KB) before its target.
    expect(seekBytes).toBeLessThanOrEqual(4 * (1_024 * 100 + 64 * 1024));
  });
});
