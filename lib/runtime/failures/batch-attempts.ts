import { FencedError, SluiceError } from '../../core/errors';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import { parseRecord } from '../protocol/checkpoint-record';
import { StorageKeys } from '../protocol/storage-keys';

/** The counter's item: how often the shard's next batch failed, and the last reason. */
export interface AttemptsRecord {
  readonly batchNo: number;
  readonly attempts: number;
  readonly lastError: string;
  readonly updatedAtMs: number;
}

/** Concurrent failures of one batch race on the counter; this many rounds settle any realistic race. */
const MAX_INCREMENT_ROUNDS = 16;

/**
 * Counts the failed attempts of a shard's next batch in the checkpoint store (`{app}#{shard}` /
 * `meta#attempts`), so the count survives the crash, the cold start or the other instance that
 * carries the next attempt. The counter is keyed by batch number: a batch that commits leaves a
 * stale counter that the next batch's first failure restarts at 1, so the happy path never writes it.
 */
export class BatchAttempts {
  readonly #app: string;
  readonly #store: CheckpointStore;

  constructor(app: string, store: CheckpointStore) {
    this.#app = app;
    this.#store = store;
  }

  /** Records one more failure of batch `batchNo` of `shardId`; returns its attempts so far (≥ 1). */
  async recordFailure(shardId: string, batchNo: number, reason: string, nowMs: number): Promise<number> {
    const pk = StorageKeys.shardPartition(this.#app, shardId);
    for (let round = 0; round < MAX_INCREMENT_ROUNDS; round++) {
      const item = await this.#store.get(pk, StorageKeys.ATTEMPTS_SK);
      const previous = item && parseRecord<AttemptsRecord>(`${pk}/${StorageKeys.ATTEMPTS_SK}`, item.data);
      const attempts = previous?.batchNo === batchNo ? previous.attempts + 1 : 1;
      const record: AttemptsRecord = { batchNo, attempts, lastError: reason.slice(0, 1_000), updatedAtMs: nowMs };
      try {
        // Conditioned on the version read, so two failing invocations never count as one.
        await this.#store.transact([
          {
            kind: 'put',
            item: { pk, sk: StorageKeys.ATTEMPTS_SK, version: (item?.version ?? 0) + 1, data: JSON.stringify(record) },
            condition: item === undefined ? { absent: true } : { version: item.version },
          },
        ]);
        return attempts;
      } catch (error) {
        if (!(error instanceof FencedError)) throw error;
      }
    }
    throw new SluiceError(`shard ${shardId}: the failure counter of batch ${batchNo} kept changing under ${MAX_INCREMENT_ROUNDS} rounds of updates`, {
      retryable: true,
    });
  }
}
