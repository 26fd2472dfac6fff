import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * A client of the socket source's ack protocol (see SocketSource): it sends numbered lines, forgets a
 * line once an `ACK n` covers it, and after a broken connection reconnects and sends again every line
 * not acknowledged yet — at-least-once on the wire, as the protocol asks of a client.
 *
 * It records how often each line went out and which were acknowledged, for the oracle.
 */
export class AckingProducer {
  /** `sends[i]`: how many times line i was written to a connection. */
  readonly sends: number[] = [];
  readonly acked = new Set<number>();
  connections = 0;
  #pending: number[] = [];
  #socket: Socket | undefined;
  #onWire: number[] = [];
  #stopped = false;
  #closing = false;

  constructor(
    readonly port: number,
    readonly line: (i: number) => string,
  ) {}

  /** Lines produced so far. */
  get produced(): number {
    return this.sends.length;
  }

  /** Adds `count` new lines and sends them if connected. */
  produce(count: number): void {
    for (let k = 0; k < count; k++) {
      this.sends.push(0);
      this.#pending.push(this.sends.length - 1);
    }
    this.#flush();
  }

  /** Keeps a connection up (reconnecting every `retryMs` while the server is down) until {@link stop}. */
  start(retryMs = 50): void {
    const attempt = (): void => {
      if (this.#stopped) return;
      const socket = connect({ port: this.port, host: '127.0.0.1' });
      // The lines of this connection, in the order sent: `ACK n` covers the first n of them.
      const wire: number[] = [];
      socket.once('connect', () => {
        this.connections++;
        // Everything not acknowledged goes again, in order: it may or may not have been received.
        this.#pending = [...new Set([...this.#onWire, ...this.#pending])].filter((i) => !this.acked.has(i)).sort((a, b) => a - b);
        this.#onWire = wire;
        this.#socket = socket;
        this.#flush();
      });
      const replies = createInterface({ input: socket });
      replies.on('line', (reply) => {
        const m = /^ACK (\d+)$/.exec(reply);
        if (m) for (const i of wire.slice(0, Number(m[1]))) this.acked.add(i);
      });
      // A refused or reset connection is expected (the server is being killed): 'close' retries.
      replies.on('error', () => undefined);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        if (this.#socket === socket) this.#socket = undefined;
        if (!this.#closing) setTimeout(attempt, retryMs);
      });
    };
    attempt();
  }

  /** Resolves once every line produced is acknowledged, or rejects after `timeoutMs`. */
  async allAcked(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acked.size < this.produced) {
      if (Date.now() > deadline) throw new Error(`${this.produced - this.acked.size} of ${this.produced} lines still unacknowledged after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Closes the connection for good. */
  stop(): void {
    this.#stopped = true;
    this.#closing = true;
    this.#socket?.end();
  }

  #flush(): void {
    const socket = this.#socket;
    if (socket === undefined || this.#pending.length === 0) return;
    const batch = this.#pending.splice(0);
    for (const i of batch) this.sends[i]!++;
    this.#onWire.push(...batch);
    socket.write(batch.map((i) => `${this.line(i)}\n`).join(''));
  }
}
