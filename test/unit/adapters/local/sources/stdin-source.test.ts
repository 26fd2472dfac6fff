import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../../../lib/adapters/local/memory-object-store';
import { STDIN_SHARD_ID, StdinSource } from '../../../../../lib/adapters/local/sources/stdin-source';
import type { ObjectStore } from '../../../../../lib/ports/object-store';
import type { Source } from '../../../../../lib/ports/source';
import { FakeClock } from '../../../../helpers/fake-clock';

const texts = (records: { data: Uint8Array }[]): string[] => records.map((r) => new TextDecoder().decode(r.data));
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Reads everything the source has, as the driver would, until `done` says stop. */
async function drain(source: Source, afterSeq: string | undefined, clock: FakeClock, done: (endOfData: boolean, seen: number) => boolean) {
  const seen: { seq: string; data: Uint8Array }[] = [];
  let after = afterSeq;
  for (let round = 0; round < 50; round++) {
    await clock.advance(200);
    await turn();
    const result = await source.read(STDIN_SHARD_ID, after, 1_000);
    seen.push(...result.records);
    after = result.records.at(-1)?.seq ?? after;
    if (done(result.endOfData, seen.length)) return { seen, endOfData: result.endOfData };
  }
  throw new Error(`gave up after 50 rounds with ${seen.length} records`);
}

function stdinSource(store: ObjectStore, clock: FakeClock, input: PassThrough): StdinSource {
  return new StdinSource({ store, app: 'app', clock, input });
}

describe('StdinSource', () => {
  describe('read', () => {
    it('reads the lines of the input and ends the data once the input ended and was read', async () => {
      // Prepare
      const clock = new FakeClock();
      const input = new PassThrough();
      const source = stdinSource(new MemoryObjectStore(), clock, input);
      await source.listShards();

      // Act
      input.write('one\r\ntwo\n\nthr');
      input.end('ee');
      const { seen, endOfData } = await drain(source, undefined, clock, (end) => end);

      // Assess
      expect(texts(seen)).toEqual(['one', 'two', '', 'three']);
      expect(seen.map((r) => r.seq)).toEqual(['1', '2', '3', '4']);
      expect(endOfData).toBe(true);
    });

    it('does not end the data while the input is open', async () => {
      // Prepare
      const clock = new FakeClock();
      const input = new PassThrough();
      const source = stdinSource(new MemoryObjectStore(), clock, input);
      await source.listShards();
      input.write('a\n');

      // Act
      const { endOfData } = await drain(source, undefined, clock, (_, seen) => seen === 1);

      // Assess
      expect(endOfData).toBe(false);
    });

    it('replays received lines after a restart, then continues with the new input', async () => {
      // Prepare: the first run received two lines and died before committing them
      const store = new MemoryObjectStore();
      const clock = new FakeClock();
      const firstInput = new PassThrough();
      const first = stdinSource(store, clock, firstInput);
      await first.listShards();
      firstInput.write('a\nb\n');
      await drain(first, undefined, clock, (_, seen) => seen === 2);

      // Act
      const secondInput = new PassThrough();
      const second = stdinSource(store, clock, secondInput);
      await second.listShards();
      secondInput.end('c\n');
      const { seen } = await drain(second, undefined, clock, (end) => end);

      // Assess
      expect(seen.map((r) => `${r.seq}:${new TextDecoder().decode(r.data)}`)).toEqual(['1:a', '2:b', '3:c']);
    });

    it('rejects an unknown shard', async () => {
      // Prepare
      const source = stdinSource(new MemoryObjectStore(), new FakeClock(), new PassThrough());

      // Act + Assess
      await expect(source.read('stdin-1', undefined, 1)).rejects.toThrow(/no shard stdin-1/);
    });
  });

  describe('committed', () => {
    it('deletes the blocks of committed lines', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const clock = new FakeClock();
      const input = new PassThrough();
      const source = stdinSource(store, clock, input);
      await source.listShards();
      input.write('a\n');
      await drain(source, undefined, clock, (_, seen) => seen === 1);
      input.write('b\n');
      await drain(source, '1', clock, (_, seen) => seen === 1);

      // Act
      await source.committed(STDIN_SHARD_ID, '1');

      // Assess
      expect(await store.list('received/app/stdin-0/')).toEqual(['received/app/stdin-0/00000000000000000002']);
    });
  });
});
