import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SluiceError } from '../../../core/errors';
import type { Clock } from '../../../ports/clock';
import type { ObjectStore } from '../../../ports/object-store';
import type { ReadResult, ShardInfo, Source } from '../../../ports/source';
import type { SourceLedger } from '../../../ports/source-ledger';
import { receiveLines } from './receive-lines';
import { DEFAULT_MAX_BLOCK_RECORDS, ReceiverLog } from './receiver-log';

/** The socket source's only shard: all connections feed one sequence. */
export const SOCKET_SHARD_ID = 'socket-0';

/** Options of {@link SocketSource}. */
export interface SocketSourceOptions {
  /** TCP port to listen on; 0 picks a free one (see {@link SocketSource.listen}). */
  readonly port: number;
  /** @default '127.0.0.1' — local only; listening wider is a deliberate choice. */
  readonly host?: string;
  /** Where the receiver log keeps its blocks: the app's object store. */
  readonly store: ObjectStore;
  readonly app: string;
  readonly clock: Clock;
  /** @default {@link DEFAULT_BLOCK_INTERVAL_MS} */
  readonly blockIntervalMs?: number;
  /** @default {@link DEFAULT_MAX_BLOCK_RECORDS} */
  readonly maxBlockRecords?: number;
  /** The app's checkpoint, which the receiver log is checked against before anything is received. @default - unchecked */
  readonly ledger?: SourceLedger;
}

/**
 * A TCP server receiving lines, like Spark's `socketTextStream` but reliable: lines go through the
 * {@link ReceiverLog} and are acknowledged only once durable.
 *
 * Protocol, per connection:
 * - the client sends UTF-8 (or any) bytes; `\n` ends a line, a trailing `\r` is dropped, and an
 *   unterminated last line counts when the client half-closes (ends its side);
 * - once the block holding some of its lines is durable, the server writes `ACK <n>\n`, where `n`
 *   is the number of lines of this connection durable so far (cumulative, increasing);
 * - a client resends everything after its last `ACK` if the connection breaks: un-acked lines may or
 *   may not have been received (at-least-once on the wire, as with any ack protocol);
 * - after the client half-closes, the server sends the final ACK and closes the connection.
 *
 * ⚑ Never acks before durable. A client that got `ACK n` can forget its first n lines: a restarted
 * source on the same store replays them until they are committed.
 *
 * @example
 * const source = new SocketSource({ port: 9999, store, app: 'word-count', clock });
 * // then: (printf 'to be or not\n'; sleep 1) | nc 127.0.0.1 9999   →   ACK 1
 */
export class SocketSource implements Source {
  private readonly log: ReceiverLog;
  private readonly server: Server;
  private readonly connections = new Map<Socket, () => void>();
  private listening: Promise<AddressInfo> | undefined;

  constructor(private readonly options: SocketSourceOptions) {
    this.log = new ReceiverLog({ ...options, shardId: SOCKET_SHARD_ID });
    this.server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
  }

  /** Opens the log (replaying an earlier run's blocks), then listens; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    this.listening ??= this.log.open().then(
      () =>
        new Promise<AddressInfo>((resolve, reject) => {
          const host = this.options.host ?? '127.0.0.1';
          this.server.once('error', (error) =>
            reject(new SluiceError(`socket source: cannot listen on ${host}:${this.options.port}: ${error.message}`, { cause: error })),
          );
          this.server.listen(this.options.port, host, () => resolve(this.server.address() as AddressInfo));
        }),
    );
    return this.listening;
  }

  async listShards(): Promise<ShardInfo[]> {
    await this.listen();
    return [{ shardId: SOCKET_SHARD_ID, parentShardIds: [] }];
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    if (shardId !== SOCKET_SHARD_ID) throw new SluiceError(`socket source has no shard ${shardId}`);
    await this.listen();
    const { records } = await this.log.read(afterSeq, maxRecords);
    return { records, endOfShard: false, endOfData: false };
  }

  async committed(shardId: string, seq: string): Promise<void> {
    if (shardId === SOCKET_SHARD_ID) await this.log.committed(seq);
  }

  /** Stops accepting, makes what was received durable, sends the last ACKs, then closes connections. */
  async close(): Promise<void> {
    const wasListening = this.server.listening;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const stop of this.connections.values()) stop();
    // The flush resolves the pending acks first: their callbacks were registered before ours.
    await this.log.close();
    for (const socket of this.connections.keys()) socket.destroySoon();
    if (wasListening) await closed;
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    const ack = (count: number): void => {
      if (socket.writable) socket.write(`ACK ${count}\n`);
    };
    const stop = receiveLines(
      socket,
      this.log,
      {
        onDurable: ack,
        onEnd: (allDurable) =>
          void allDurable.then(
            () => socket.end(),
            () => socket.destroy(),
          ),
        // A reset loses only the unterminated line; complete lines are already in the log.
        onError: () => socket.destroy(),
      },
      this.options.maxBlockRecords ?? DEFAULT_MAX_BLOCK_RECORDS,
    );
    this.connections.set(socket, stop);
    socket.on('close', () => this.connections.delete(socket));
  }
}
