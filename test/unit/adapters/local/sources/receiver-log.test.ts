import { describe, expect, it } from 'vitest';
import type { SluiceError } from '../../../../../lib/core/errors';
import type { ObjectStore } from '../../../../../lib/ports/object-store';
import { MemoryObjectStore } from '../../../../../lib/adapters/local/memory-object-store';
import { ReceiverLog, type ReceiverLogOptions } from '../../../../../lib/adapters/local/sources/receiver-log';
import { encodeBlock, receivedBlockKey } from '../../../../../lib/adapters/local/sources/received-block';
import { FakeClock } from '../../../../helpers/fake-clock';

const PREFIX = 'received/app/stdin-0/';
const bytes = (...lines: string[]): Uint8Array[] => lines.map((line) => new TextEncoder().encode(line));
const texts = (records: { data: Uint8Array }[]): string[] => records.map((r) => new TextDecoder().decode(r.data));
const keyOf = (firstSeq: number): string => receivedBlockKey('app', 'stdin-0', firstSeq);
const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

/** A store whose puts wait for `release()`, and that can fail the next puts on demand. */
class GatedStore implements ObjectStore {
  readonly inner = new MemoryObjectStore();
  gate: Promise<void> | undefined;
  failNextPuts = 0;
  failAfterWriting = false;
  private open = (): void => undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = undefined;
    this.open();
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    await this.gate;
    if (this.failNextPuts > 0) {
      this.failNextPuts--;
      if (this.failAfterWriting) await this.inner.putIfAbsent(key, body);
      throw new Error('EIO: disk hiccup');
    }
    return this.inner.putIfAbsent(key, body);
  }

  get = (key: string) => this.inner.get(key);
  getRange = (key: string, start: number, end: number) => this.inner.getRange(key, start, end);
  list = (prefix: string) => this.inner.list(prefix);
  delete = (key: string) => this.inner.delete(key);
}

async function openLog(store: ObjectStore, clock = new FakeClock(), options: Partial<ReceiverLogOptions> = {}): Promise<ReceiverLog> {
  const log = new ReceiverLog({ store, app: 'app', shardId: 'stdin-0', clock, ...options });
  await log.open();
  return log;
}

describe('ReceiverLog', () => {
  describe('append', () => {
    it('resolves only once the block holding the lines is durable', async () => {
      // Prepare
      const store = new GatedStore();
      const log = await openLog(store);
      store.hold();

      // Act
      const { durable } = log.append(bytes('a', 'b'));
      const flushed = log.flush();
      const before = await settled(durable);
      store.release();
      await flushed;

      // Assess
      expect(before).toBe(false);
      expect(await settled(durable)).toBe(true);
      expect(await store.inner.list(PREFIX)).toEqual([keyOf(1)]);
    });

    it('writes a block every blockIntervalMs of the clock', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const clock = new FakeClock();
      const log = await openLog(store, clock, { blockIntervalMs: 200 });

      // Act
      const { durable } = log.append(bytes('x', 'y', 'z'));
      await clock.advance(199);
      const early = await store.list(PREFIX);
      await clock.advance(1);
      await durable;

      // Assess
      expect(early).toEqual([]);
      expect(await store.list(PREFIX)).toEqual([keyOf(1)]);
      expect(log.durableSeq).toBe(3);
    });

    it('writes full blocks at maxBlockRecords at once and leaves the rest for the interval', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const log = await openLog(store, new FakeClock(), { maxBlockRecords: 4 });

      // Act
      const { durable } = log.append(bytes('1', '2', '3', '4', '5', '6', '7', '8', '9'));
      while (log.durableSeq < 8) await new Promise((resolve) => setImmediate(resolve));

      // Assess
      expect(await store.list(PREFIX)).toEqual([keyOf(1), keyOf(5)]);
      expect(log.pendingRecords).toBe(1);
      expect(await settled(durable)).toBe(false);
    });

    it('retries a failed write with the same block and acknowledges after the retry', async () => {
      // Prepare
      const store = new GatedStore();
      const errors: SluiceError[] = [];
      const log = await openLog(store, new FakeClock(), { onFlushError: (error) => errors.push(error) });
      store.failNextPuts = 1;
      const { durable } = log.append(bytes('a'));

      // Act
      const failed = await log.flush().then(
        () => 'ok',
        (error: SluiceError) => error.retryable,
      );
      log.append(bytes('b'));
      await log.flush();

      // Assess
      expect(failed).toBe(true);
      expect(errors.map((e) => e.message)).toEqual([`receiver log: writing ${keyOf(1)} failed; retrying at the next flush`]);
      expect(await settled(durable)).toBe(true);
      expect(await store.inner.list(PREFIX)).toEqual([keyOf(1), keyOf(2)]);
    });

    it('recognizes its own block when a write landed before failing', async () => {
      // Prepare
      const store = new GatedStore();
      const log = await openLog(store);
      store.failNextPuts = 1;
      store.failAfterWriting = true;
      const { durable } = log.append(bytes('a'));
      await log.flush().catch(() => undefined);

      // Act
      await log.flush();

      // Assess
      expect(await settled(durable)).toBe(true);
      expect(texts((await log.read(undefined, 10)).records)).toEqual(['a']);
    });

    it('rejects when another receiver wrote the same block with other records', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const log = await openLog(store);
      await store.putIfAbsent(keyOf(1), encodeBlock([{ seq: 1, arrivalMs: 0, data: bytes('theirs')[0]! }]));

      // Act
      const outcome = log.append(bytes('ours')).durable.then(
        () => 'acknowledged',
        (error: Error) => error.message,
      );
      await log.flush().catch(() => undefined);

      // Assess
      expect(await outcome).toMatch(/another receiver writes stdin-0/);
      await expect(log.read(undefined, 10)).rejects.toThrow(/another receiver/);
      expect(() => log.append(bytes('more'))).toThrow(/another receiver/);
    });

    it('rejects appends after end', async () => {
      // Prepare
      const log = await openLog(new MemoryObjectStore());
      await log.end();

      // Act + Assess
      expect(() => log.append(bytes('late'))).toThrow(/not open for appends/);
      expect(log.ended).toBe(true);
    });
  });

  describe('onDurable', () => {
    it('reports the durable seq after each block, including blocks that end inside an append', async () => {
      // Prepare
      const log = await openLog(new MemoryObjectStore(), new FakeClock(), { maxBlockRecords: 3 });
      const seen: number[] = [];
      log.onDurable((seq) => seen.push(seq));

      // Act
      const appended = log.append(bytes('a', 'b', 'c', 'd', 'e'));
      await log.flush();

      // Assess
      expect(appended).toMatchObject({ firstSeq: 1, lastSeq: 5 });
      expect(seen).toEqual([3, 5]);
    });
  });

  describe('whenDurable', () => {
    it('resolves waiters in seq order whatever order they were asked in', async () => {
      // Prepare
      const log = await openLog(new MemoryObjectStore());
      log.append(bytes('a', 'b', 'c'));
      const order: number[] = [];
      const waits = [3, 1, 2].map((seq) => log.whenDurable(seq).then(() => order.push(seq)));

      // Act
      await log.flush();
      await Promise.all(waits);

      // Assess
      expect(order).toEqual([1, 2, 3]);
    });
  });

  describe('read', () => {
    it('serves durable records across blocks, never buffered ones', async () => {
      // Prepare
      const log = await openLog(new MemoryObjectStore());
      void log.append(bytes('a', 'b', 'c'));
      await log.flush();
      void log.append(bytes('d', 'e'));
      await log.flush();
      void log.append(bytes('not yet'));

      // Act
      const all = await log.read(undefined, 100);
      const middle = await log.read('2', 2);
      const tail = await log.read('4', 100);

      // Assess
      expect(texts(all.records)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(all.records.map((r) => r.seq)).toEqual(['1', '2', '3', '4', '5']);
      expect(all.caughtUp).toBe(true);
      expect(middle).toMatchObject({ caughtUp: false });
      expect(texts(middle.records)).toEqual(['c', 'd']);
      expect(texts(tail.records)).toEqual(['e']);
    });

    it('stamps records with the clock at append time and the shard as partition key', async () => {
      // Prepare
      const clock = new FakeClock({ startMs: 5_000 });
      const log = await openLog(new MemoryObjectStore(), clock);
      void log.append(bytes('a'));
      await log.flush();

      // Act
      const { records } = await log.read(undefined, 1);

      // Assess
      expect(records[0]).toMatchObject({ seq: '1', arrivalMs: 5_000, partitionKey: 'stdin-0' });
    });
  });

  describe('open', () => {
    it('continues the sequence of an earlier run and replays its blocks', async () => {
      // Prepare: a first run made two blocks durable, then died with a line only buffered
      const store = new MemoryObjectStore();
      const first = await openLog(store);
      void first.append(bytes('a', 'b'));
      await first.flush();
      void first.append(bytes('c'));
      await first.flush();
      void first.append(bytes('lost: never acknowledged'));

      // Act
      const second = await openLog(store);
      void second.append(bytes('d'));
      await second.flush();
      const { records } = await second.read(undefined, 100);

      // Assess
      expect(records.map((r) => `${r.seq}:${new TextDecoder().decode(r.data)}`)).toEqual(['1:a', '2:b', '3:c', '4:d']);
    });
  });

  describe('committed', () => {
    it('deletes blocks whose last seq is committed, keeping the newest', async () => {
      // Prepare: blocks [1-2] [3-4] [5]
      const store = new MemoryObjectStore();
      const log = await openLog(store);
      for (const lines of [bytes('a', 'b'), bytes('c', 'd'), bytes('e')]) {
        void log.append(lines);
        await log.flush();
      }

      // Act
      await log.committed('3');
      const afterThree = await store.list(PREFIX);
      await log.committed('5');

      // Assess
      expect(afterThree).toEqual([keyOf(3), keyOf(5)]);
      expect(await store.list(PREFIX)).toEqual([keyOf(5)]);
      expect(texts((await log.read('4', 10)).records)).toEqual(['e']);
    });

    it('keeps the sequence going after a restart once everything was committed', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const first = await openLog(store);
      void first.append(bytes('a', 'b'));
      await first.flush();
      void first.append(bytes('c'));
      await first.flush();
      await first.committed('3');

      // Act
      const second = await openLog(store);
      void second.append(bytes('d'));
      await second.flush();

      // Assess
      expect((await second.read('3', 10)).records.map((r) => r.seq)).toEqual(['4']);
    });

    it('fails a read from before the deleted blocks instead of skipping records', async () => {
      // Prepare
      const log = await openLog(new MemoryObjectStore());
      for (const lines of [bytes('a'), bytes('b'), bytes('c')]) {
        void log.append(lines);
        await log.flush();
      }
      await log.committed('2');

      // Act + Assess
      await expect(log.read('1', 10)).rejects.toThrow(/records 2\.\.2 were deleted as committed/);
    });

    it('refuses to open when its oldest blocks were deleted before the app committed them', async () => {
      // Prepare: blocks of lines 1, 2 and 3; the app committed line 1; the block of line 2 is then deleted.
      const store = new MemoryObjectStore();
      const log = await openLog(store);
      for (const lines of [bytes('a'), bytes('b'), bytes('c')]) {
        void log.append(lines);
        await log.flush();
      }
      await store.delete(keyOf(1));
      await store.delete(keyOf(2));
      const ledger = {
        app: 'app',
        positions: async () => ({ committedSeq: '1', takenSeq: '1' }),
        note: async () => undefined,
        keepNote: async () => undefined,
      };

      // Act
      const reopened = openLog(store, new FakeClock(), { ledger });

      // Assess
      await expect(reopened).rejects.toThrow(
        `${PREFIX}: the receiver log starts at line 3, but app app committed lines up to 1 only: lines 2-2 were deleted before they were committed; restore the missing blocks, or start over with a new --checkpoint-dir or --app`,
      );
    });

    it('opens when it holds every line the app took and those after the committed one', async () => {
      // Prepare
      const store = new MemoryObjectStore();
      const log = await openLog(store);
      void log.append(bytes('a', 'b', 'c'));
      await log.flush();
      const ledger = {
        app: 'app',
        positions: async () => ({ committedSeq: '1', takenSeq: '3' }),
        note: async () => undefined,
        keepNote: async () => undefined,
      };

      // Act
      const reopened = await openLog(store, new FakeClock(), { ledger });

      // Assess
      expect(reopened.durableSeq).toBe(3);
      await reopened.close();
    });
  });
});
