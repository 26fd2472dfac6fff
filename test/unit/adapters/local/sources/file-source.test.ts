import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../../../lib/core/errors';
import type { ReadResult } from '../../../../../lib/ports/source';
import { FILE_SHARD_ID, FileSource } from '../../../../../lib/adapters/local/sources/file-source';

const lines = (result: ReadResult): string[] => result.records.map((r) => new TextDecoder().decode(r.data));
const seqs = (result: ReadResult): string[] => result.records.map((r) => r.seq);

/** The rule the source implements, on a whole string: split at \n, drop one trailing \r, no phantom last line. */
function referenceLines(content: string): string[] {
  const parts = content.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

describe('FileSource', () => {
  let dir: string;
  const sources: FileSource[] = [];
  const sourceOf = async (content: string | Uint8Array, options = {}): Promise<FileSource> => {
    const path = join(dir, `input-${sources.length}.txt`);
    await writeFile(path, content);
    const source = new FileSource(path, options);
    sources.push(source);
    return source;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-file-source-'));
  });

  afterEach(async () => {
    for (const source of sources.splice(0)) await source.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('read', () => {
    it('returns one record per line, strips CRLF, keeps empty lines and a last line without newline', async () => {
      // Prepare
      const source = await sourceOf('alpha\r\n\nbeta\r\n\r\ngamma');

      // Act
      const result = await source.read(FILE_SHARD_ID, undefined, 100);

      // Assess
      expect(lines(result)).toEqual(['alpha', '', 'beta', '', 'gamma']);
      expect(seqs(result)).toEqual(['1', '2', '3', '4', '5']);
      expect(result.endOfData).toBe(true);
    });

    it('does not count a final newline as an extra empty line', async () => {
      // Prepare
      const source = await sourceOf('a\nb\n');

      // Act
      const result = await source.read(FILE_SHARD_ID, undefined, 100);

      // Assess
      expect(lines(result)).toEqual(['a', 'b']);
    });

    it('reads an empty file as no records and the end of data', async () => {
      // Prepare
      const source = await sourceOf('');

      // Act
      const result = await source.read(FILE_SHARD_ID, undefined, 10);

      // Assess
      expect(result).toMatchObject({ records: [], endOfData: true });
    });

    it('signals the end of data with the read that returns the last line', async () => {
      // Prepare
      const source = await sourceOf('1\n2\n3\n4\n');

      // Act
      const first = await source.read(FILE_SHARD_ID, undefined, 2);
      const second = await source.read(FILE_SHARD_ID, '2', 2);
      const after = await source.read(FILE_SHARD_ID, '4', 2);

      // Assess
      expect([first.endOfData, second.endOfData, after.endOfData]).toEqual([false, true, true]);
      expect(lines(second)).toEqual(['3', '4']);
      expect(after.records).toEqual([]);
    });

    it('keeps lines longer than a chunk and CRLF split across chunks intact', async () => {
      // Prepare
      const long = 'x'.repeat(50);
      const source = await sourceOf(`${long}\r\nshort\r\n${long}`, { chunkBytes: 7 });

      // Act
      const result = await source.read(FILE_SHARD_ID, undefined, 10);

      // Assess
      expect(lines(result)).toEqual([long, 'short', long]);
    });

    it('keeps bytes that are not UTF-8 as they are', async () => {
      // Prepare
      const source = await sourceOf(new Uint8Array([0xff, 0x00, 0x0a, 0xc3, 0x28]));

      // Act
      const result = await source.read(FILE_SHARD_ID, undefined, 10);

      // Assess
      expect(result.records.map((r) => Array.from(r.data))).toEqual([
        [0xff, 0x00],
        [0xc3, 0x28],
      ]);
    });

    it('matches the line rule for any content, chunk size and read pattern', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom('a', 'b', '\n', '\r', '\r\n', 'é'), { maxLength: 60 }).map((parts) => parts.join('')),
          fc.integer({ min: 1, max: 16 }),
          fc.integer({ min: 1, max: 4 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 8 })), { minLength: 1, maxLength: 6 }),
          async (content, chunkBytes, indexEveryLines, reads) => {
            // Prepare
            const expected = referenceLines(content);
            const source = await sourceOf(content, { chunkBytes, indexEveryLines });

            for (const [after, max] of reads) {
              // Act
              const result = await source.read(FILE_SHARD_ID, after === 0 ? undefined : String(after), max);

              // Assess
              expect(lines(result)).toEqual(expected.slice(after, after + max));
              expect(seqs(result)).toEqual(expected.slice(after, after + max).map((_, i) => String(after + i + 1)));
              expect(result.endOfData).toBe(after + result.records.length >= expected.length);
            }
          },
        ),
        { numRuns: 150 },
      );
    });

    it('restarts at an arbitrary seq, then seeks back through its index instead of rescanning', async () => {
      // Prepare: 20,000 numbered lines, and a "restarted" source that has never read the file
      const content = Array.from({ length: 20_000 }, (_, i) => `line ${i + 1}`).join('\n');
      const source = await sourceOf(content, { chunkBytes: 4_096, indexEveryLines: 100 });

      // Act
      const resumed = await source.read(FILE_SHARD_ID, '12345', 3);
      const scannedToResume = source.bytesScanned;
      const replay = await source.read(FILE_SHARD_ID, '5000', 3);
      const seekCost = source.bytesScanned - scannedToResume;

      // Assess
      expect(lines(resumed)).toEqual(['line 12346', 'line 12347', 'line 12348']);
      expect(lines(replay)).toEqual(['line 5001', 'line 5002', 'line 5003']);
      expect(scannedToResume).toBeGreaterThan(12_345 * 'line 1234'.length);
      // One chunk from the index entry at line 5001, not 5,000 lines from the start.
      expect(seekCost).toBeLessThanOrEqual(4_096);
    });

    it('fails when the file is missing, with a one-line message naming the path', async () => {
      // Prepare
      const path = join(dir, 'nope.txt');
      const source = new FileSource(path);

      // Act
      const failure = source.read(FILE_SHARD_ID, undefined, 10);

      // Assess
      await expect(failure).rejects.toThrow(SluiceError);
      await expect(failure).rejects.toThrow(`cannot read file source ${path}: ENOENT`);
    });

    it('fails when the path is a directory', async () => {
      // Act
      const failure = new FileSource(dir).read(FILE_SHARD_ID, undefined, 10);

      // Assess
      await expect(failure).rejects.toThrow(`cannot read file source ${dir}: EISDIR`);
    });

    it.skipIf(process.getuid?.() === 0)('fails when the file is not readable', async () => {
      // Prepare
      const source = await sourceOf('secret\n');
      await chmod(source.path, 0o000);

      // Act + Assess
      await expect(source.read(FILE_SHARD_ID, undefined, 10)).rejects.toThrow(/EACCES/);
    });

    it('stamps records with the file modification time', async () => {
      // Prepare
      const source = await sourceOf('a\n');
      const { stat } = await import('node:fs/promises');
      const mtimeMs = Math.floor((await stat(source.path)).mtimeMs);

      // Act
      const result = await source.read(FILE_SHARD_ID, undefined, 1);

      // Assess
      expect(result.records[0]!.arrivalMs).toBe(mtimeMs);
    });
  });

  describe('listShards', () => {
    it('fails when the file is missing', async () => {
      // Act + Assess
      await expect(new FileSource(join(dir, 'missing')).listShards()).rejects.toThrow(/missing: ENOENT/);
    });
  });
});
