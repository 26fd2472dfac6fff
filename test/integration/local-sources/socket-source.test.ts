import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskObjectStore } from '../../../lib/adapters/local/disk-object-store';
import { SOCKET_SHARD_ID, SocketSource } from '../../../lib/adapters/local/sources/socket-source';
import type { ObjectStore } from '../../../lib/ports/object-store';
import { FakeClock } from '../../helpers/fake-clock';
import { spawnTsx } from '../../helpers/spawn-tsx';

const FIXTURE = 'test/integration/local-sources/fixtures/socket-receiver.ts';
const texts = (records: { data: Uint8Array }[]): string[] => records.map((r) => new TextDecoder().decode(r.data));
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A line client of the ACK protocol: what it received, and a way to wait for an ACK. */
class AckClient {
  readonly acks: number[] = [];
  readonly closed: Promise<void>;
  private readonly socket: Socket;
  private received = '';

  private constructor(
    socket: Socket,
    private readonly events?: string[],
  ) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString();
      const lines = this.received.split('\n');
      this.received = lines.pop()!;
      for (const line of lines) {
        const count = Number(/^ACK (\d+)$/.exec(line)?.[1] ?? Number.NaN);
        this.acks.push(count);
        this.events?.push(`ack ${count}`);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static async connect(port: number, events?: string[]): Promise<AckClient> {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new AckClient(socket, events);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  end(text = ''): void {
    this.socket.end(text);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Waits (driving `tick` between looks) until an ACK of at least `count` arrived. */
  async waitForAck(count: number, tick: () => Promise<void> = () => pause(5)): Promise<void> {
    for (let i = 0; i < 2_000 && (this.acks.at(-1) ?? 0) < count; i++) await tick();
    if ((this.acks.at(-1) ?? 0) < count) throw new Error(`no ACK ${count}; got ${this.acks.join(', ')}`);
  }
}

/** A real disk store that logs each completed put and can hold puts until released. */
class ObservedStore implements ObjectStore {
  readonly events: string[] = [];
  putsStarted = 0;
  private gate: Promise<void> | undefined;
  private open = (): void => undefined;

  constructor(readonly inner: DiskObjectStore) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = undefined;
    this.open();
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    this.putsStarted++;
    await this.gate;
    const created = await this.inner.putIfAbsent(key, body);
    this.events.push(`durable ${new TextDecoder().decode(body).trimEnd().split('\n').length} records`);
    return created;
  }

  get = (key: string) => this.inner.get(key);
  getRange = (key: string, start: number, end: number) => this.inner.getRange(key, start, end);
  list = (prefix: string) => this.inner.list(prefix);
  delete = (key: string) => this.inner.delete(key);
}

describe('SocketSource', () => {
  let dir: string;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-socket-source-'));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  async function startSource(store: ObjectStore, clock: FakeClock): Promise<{ source: SocketSource; port: number }> {
    const source = new SocketSource({ port: 0, store, app: 'app', clock, blockIntervalMs: 200 });
    const { port } = await source.listen();
    cleanups.push(() => source.close());
    return { source, port };
  }

  describe('ACK protocol', () => {
    it('acknowledges lines only after the block holding them is durable', async () => {
      // Prepare
      const store = new ObservedStore(new DiskObjectStore(dir));
      const clock = new FakeClock();
      const { source, port } = await startSource(store, clock);
      const client = await AckClient.connect(port, store.events);
      cleanups.push(() => client.destroy());
      store.hold();

      // Act: the block write starts and is held; an early ACK would have time to arrive
      client.send('a\nb\nc\n');
      for (let i = 0; i < 1_000 && store.putsStarted === 0; i++) await clock.advance(200).then(() => pause(2));
      await pause(100);
      const acksWhileHeld = [...client.acks];
      store.release();
      await client.waitForAck(3);

      // Assess
      expect(acksWhileHeld).toEqual([]);
      expect(store.events).toEqual(['durable 3 records', 'ack 3']);
      expect(texts((await source.read(SOCKET_SHARD_ID, undefined, 10)).records)).toEqual(['a', 'b', 'c']);
    });

    it('counts ACKs per connection, cumulatively', async () => {
      // Prepare
      const clock = new FakeClock();
      const { source, port } = await startSource(new DiskObjectStore(dir), clock);
      const [one, two] = [await AckClient.connect(port), await AckClient.connect(port)];
      cleanups.push(
        () => one.destroy(),
        () => two.destroy(),
      );
      const tick = () => clock.advance(200).then(() => pause(2));

      // Act
      one.send('1a\n1b\n1c\n');
      await one.waitForAck(3, tick);
      two.send('2a\n');
      one.send('1d\n1e\n');
      await one.waitForAck(5, tick);
      await two.waitForAck(1, tick);

      // Assess
      expect(one.acks.at(-1)).toBe(5);
      expect(two.acks).toEqual([1]);
      expect(texts((await source.read(SOCKET_SHARD_ID, undefined, 10)).records).sort()).toEqual(['1a', '1b', '1c', '1d', '1e', '2a']);
    });

    it('acknowledges an unterminated last line when the client ends, then closes the connection', async () => {
      // Prepare
      const clock = new FakeClock();
      const { source, port } = await startSource(new DiskObjectStore(dir), clock);
      const client = await AckClient.connect(port);

      // Act
      client.end('x\r\ny');
      await client.waitForAck(2, () => clock.advance(200).then(() => pause(2)));
      await client.closed;

      // Assess
      expect(client.acks.at(-1)).toBe(2);
      expect(texts((await source.read(SOCKET_SHARD_ID, undefined, 10)).records)).toEqual(['x', 'y']);
    });

    it('makes received lines durable and acknowledges them on close', async () => {
      // Prepare: a clock that never advances, so only close() can flush
      const { source, port } = await startSource(new DiskObjectStore(dir), new FakeClock());
      const client = await AckClient.connect(port);
      client.send('p\nq\n');
      await pause(50);

      // Act
      await source.close();
      await client.closed;

      // Assess
      expect(client.acks).toEqual([2]);
      const reopened = new SocketSource({ port: 0, store: new DiskObjectStore(dir), app: 'app', clock: new FakeClock() });
      cleanups.push(() => reopened.close());
      expect(texts((await reopened.read(SOCKET_SHARD_ID, undefined, 10)).records)).toEqual(['p', 'q']);
    });
  });

  describe('after kill -9', () => {
    it('replays exactly the acknowledged lines and continues their sequence', async () => {
      // Prepare: a receiver in its own process; 250 lines sent, 2 full blocks (200 lines) acknowledged
      const child = spawnTsx(FIXTURE, [dir, 'app']);
      cleanups.push(() => void child.process.kill('SIGKILL'));
      await child.waitForLines(1);
      const port = Number(child.lines[0]!.split(' ')[1]);
      const client = await AckClient.connect(port);
      const sent = Array.from({ length: 250 }, (_, i) => `line ${i + 1}`);
      client.send(`${sent.join('\n')}\n`);
      await client.waitForAck(200);
      await pause(100);

      // Act
      child.process.kill('SIGKILL');
      expect(await child.exited).toBe('SIGKILL');
      client.destroy();
      const clock = new FakeClock();
      const { source, port: newPort } = await startSource(new DiskObjectStore(dir), clock);
      const replayed = await source.read(SOCKET_SHARD_ID, undefined, 1_000);
      const newClient = await AckClient.connect(newPort);
      cleanups.push(() => newClient.destroy());
      newClient.send('after 1\nafter 2\n');
      await newClient.waitForAck(2, () => clock.advance(200).then(() => pause(2)));
      const continued = await source.read(SOCKET_SHARD_ID, '200', 1_000);

      // Assess
      expect(client.acks.at(-1)).toBe(200);
      expect(texts(replayed.records)).toEqual(sent.slice(0, 200));
      expect(replayed.records.map((r) => r.seq)).toEqual(sent.slice(0, 200).map((_, i) => String(i + 1)));
      expect(continued.records.map((r) => `${r.seq}:${new TextDecoder().decode(r.data)}`)).toEqual(['201:after 1', '202:after 2']);
    });
  });
});
