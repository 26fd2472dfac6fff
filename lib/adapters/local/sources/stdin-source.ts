import type { Readable } from 'node:stream';
import { SluiceError } from '../../../core/errors';
import type { Clock } from '../../../ports/clock';
import type { ObjectStore } from '../../../ports/object-store';
import type { ReadResult, ShardInfo, Source } from '../../../ports/source';
import type { SourceLedger } from '../../../ports/source-ledger';
import { receiveLines } from './receive-lines';
import { DEFAULT_MAX_BLOCK_RECORDS, ReceiverLog } from './receiver-log';

/** The stdin source's only shard. */
export const STDIN_SHARD_ID = 'stdin-0';

/** Options of {@link StdinSource}. */
export interface StdinSourceOptions {
  /** Where the receiver log keeps its blocks: the app's object store. */
  readonly store: ObjectStore;
  readonly app: string;
  readonly clock: Clock;
  /** @default process.stdin */
  readonly input?: Readable;
  /** @default {@link DEFAULT_BLOCK_INTERVAL_MS} */
  readonly blockIntervalMs?: number;
  /** @default {@link DEFAULT_MAX_BLOCK_RECORDS} */
  readonly maxBlockRecords?: number;
  /** The app's checkpoint, which the receiver log is checked against before anything is received. @default - unchecked */
  readonly ledger?: SourceLedger;
}

/**
 * One record per line of a stream (stdin by default). A pipe cannot be read twice, so every line
 * goes through the {@link ReceiverLog} first: after `kill -9` the next run replays the received but
 * uncommitted lines from their blocks, then continues the sequence with the new input.
 * `endOfData` is true once the input ended and every line of it was read.
 *
 * @example
 * const source = new StdinSource({ store: new DiskObjectStore('.sluice/objects'), app: 'word-count', clock });
 */
export class StdinSource implements Source {
  private readonly log: ReceiverLog;
  private readonly input: Readable;
  private readonly pauseAtRecords: number;
  private started: Promise<void> | undefined;
  private inputDone = false;
  private inputError: Error | undefined;

  constructor(options: StdinSourceOptions) {
    this.input = options.input ?? process.stdin;
    this.pauseAtRecords = options.maxBlockRecords ?? DEFAULT_MAX_BLOCK_RECORDS;
    this.log = new ReceiverLog({ ...options, shardId: STDIN_SHARD_ID });
  }

  async listShards(): Promise<ShardInfo[]> {
    await this.start();
    return [{ shardId: STDIN_SHARD_ID, parentShardIds: [] }];
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    if (shardId !== STDIN_SHARD_ID) throw new SluiceError(`stdin source has no shard ${shardId}`);
    await this.start();
    const { records, caughtUp } = await this.log.read(afterSeq, maxRecords);
    const endOfData = this.inputDone && caughtUp;
    if (endOfData && this.inputError) throw new SluiceError(`stdin source: reading the input failed: ${this.inputError.message}`, { cause: this.inputError });
    return { records, endOfShard: false, endOfData };
  }

  async committed(shardId: string, seq: string): Promise<void> {
    if (shardId === STDIN_SHARD_ID) await this.log.committed(seq);
  }

  async close(): Promise<void> {
    this.input.pause();
    await this.log.close();
  }

  /** Opens the log (replaying an earlier run's blocks) before consuming any input. */
  private start(): Promise<void> {
    this.started ??= this.log.open().then(() => {
      const finish = (): Promise<void> => this.log.end().then(() => void (this.inputDone = true));
      receiveLines(
        this.input,
        this.log,
        {
          onEnd: (allDurable) => void allDurable.then(finish, finish).catch(() => undefined),
          onError: (error) => {
            this.inputError = error;
            void finish().catch(() => undefined);
          },
        },
        this.pauseAtRecords,
      );
    });
    return this.started;
  }
}
