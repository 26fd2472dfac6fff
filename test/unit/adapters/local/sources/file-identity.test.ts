import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../../../lib/adapters/local/memory-object-store';
import { FILE_SHARD_ID, FileSource } from '../../../../../lib/adapters/local/sources/file-source';
import { compilePipeline } from '../../../../../lib/core/engine/compile-pipeline';
import { ConfigError } from '../../../../../lib/core/errors';
import { pipeline } from '../../../../../lib/core/pipeline/stream';
import { CheckpointSourceLedger } from '../../../../../lib/runtime/protocol/checkpoint-source-ledger';
import { LocalDriver } from '../../../../../lib/runtime/local-driver/local-driver';
import { MicroBatchProcessor } from '../../../../../lib/runtime/protocol/micro-batch-processor';
import { StorageKeys } from '../../../../../lib/runtime/protocol/storage-keys';
import { encodeWal } from '../../../../../lib/runtime/protocol/wal-codec';
import { FakeClock } from '../../../../helpers/fake-clock';
import { recordsOf } from '../../../../helpers/word-records';

const APP = 'wc';

/** One app's stores, and runs of the file source over them until the file is drained; `seen` is every line its batches held. */
function app() {
  const seen: string[] = [];
  const compiled = compilePipeline(pipeline('lines').foreachBatch((lines: string[]) => void seen.push(...lines)) as never);
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const ledger = new CheckpointSourceLedger({ app: APP, checkpoints, objects });
  const clock = new FakeClock({ startMs: 1_700_000_000_000, autoAdvance: true });
  const run = async (path: string, options: { fromStart?: boolean; batch?: number } = {}) => {
    const source = new FileSource(path, { ledger, fromStart: options.fromStart });
    const processor = new MicroBatchProcessor({ app: APP, pipeline: compiled, checkpoints, objects, clock });
    try {
      return await new LocalDriver({ app: APP, source, processor, checkpoints, clock, batchIntervalMs: 1_000, maxRecordsPerBatch: options.batch }).run();
    } finally {
      await source.close();
    }
  };
  return { checkpoints, objects, ledger, run, seen, compiled };
}

const numbered = (count: number, word: string, from = 1): string[] => Array.from({ length: count }, (_, i) => `${from + i} ${word}`);
const text = (lines: readonly string[]): string => `${lines.join('\n')}\n`;

describe('FileSource with a ledger', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-file-identity-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('counts every line of a replaced file with fromStart while a batch of the old file waits in the WAL', async () => {
    // Prepare: lines 1-100 committed; batch 2 (lines 101-150 of the old file) allocated, not committed.
    const { objects, run, seen } = app();
    const path = join(dir, 'words.txt');
    const old = numbered(150, 'old');
    await writeFile(path, text(old.slice(0, 100)));
    await run(path);
    const pending = recordsOf(old.slice(100), 101);
    await objects.putIfAbsent(
      StorageKeys.walKey(APP, FILE_SHARD_ID, 2),
      encodeWal({
        header: { app: APP, shard: FILE_SHARD_ID, batchNo: 2, firstSeq: '101', lastSeq: '150', count: 50, createdAt: 1_700_000_000_000 },
        records: pending,
      }),
    );
    const replacement = numbered(120, 'new');
    await writeFile(path, text(replacement));
    // Act
    const refused = run(path);
    await expect(refused).rejects.toThrow(ConfigError);
    const result = await run(path, { fromStart: true });
    // Assess: the old file's batch re-runs from the WAL, then all 120 new lines, none taken for a redelivery.
    expect(result).toMatchObject({ stoppedBy: 'drained', records: 170 });
    expect(seen).toEqual([...old, ...replacement]);
  });

  it('refuses a file whose committed last line, which had no newline, grew since', async () => {
    // Prepare
    const { run } = app();
    const path = join(dir, 'words.txt');
    await writeFile(path, 'a b\nc');
    await run(path);
    await appendFile(path, 'd e\n');
    // Act
    const refused = run(path);
    // Assess
    await expect(refused).rejects.toThrow(
      `--source: file:${path} is not the file whose lines 1-2 app wc committed: its line 2 changed after it was committed (bytes were added to it, as it had no newline)`,
    );
  });

  it('checks the lines committed after its note was last written, as after a crash between the two', async () => {
    // Prepare: 300 lines in 3 batches; the note then set back to the first batch's.
    const { ledger, run } = app();
    const path = join(dir, 'words.txt');
    const lines = numbered(300, 'w');
    await writeFile(path, text(lines.slice(0, 100)));
    await run(path, { batch: 100 });
    const firstNote = (await ledger.note(FILE_SHARD_ID))!;
    await writeFile(path, text(lines));
    await run(path, { batch: 100 });
    await ledger.keepNote(FILE_SHARD_ID, firstNote);
    await writeFile(path, text(lines.slice(0, 250)));
    // Act
    const refused = run(path);
    // Assess
    await expect(refused).rejects.toThrow('it has 250 lines, fewer than the 300 taken from it (the file was truncated or replaced)');
  });

  it('adopts a checkpoint written before files were noted, checking that the file has its committed lines', async () => {
    // Prepare: 100 committed lines and no note.
    const { checkpoints, run, seen } = app();
    const path = join(dir, 'words.txt');
    const lines = numbered(160, 'w');
    await writeFile(path, text(lines.slice(0, 100)));
    await run(path);
    await checkpoints.transact([{ kind: 'delete', pk: StorageKeys.shardPartition(APP, FILE_SHARD_ID), sk: StorageKeys.SOURCE_NOTE_SK }]);
    await writeFile(path, text(lines));
    // Act
    const result = await run(path);
    // Assess
    expect(result).toMatchObject({ stoppedBy: 'drained', records: 60 });
    expect(seen).toEqual(lines);
  });
});
