import type { CheckpointStore } from '../../../../lib/ports/checkpoint-store';
import type { CheckpointRecord } from '../../../../lib/runtime/protocol/checkpoint-record';
import { StorageKeys } from '../../../../lib/runtime/protocol/storage-keys';

/** A shard's processing cost: `overheadMs + costPerRecordMs × records` per batch. */
export interface PlantCost {
  readonly overheadMs: number;
  readonly costPerRecordMs: number;
}

/**
 * A synthetic shard for controller tests: it stands in for the processors, reading the published
 * rate from the control item and committing checkpoint items with the running totals and the
 * latest batch's scheduling delay, as `buildCommit` does. One batch per second; the shard is busy
 * `overhead + cost × records` ms per batch, and busy time beyond the second queues up as
 * scheduling delay. Arrivals never run out, so the rate limit is what binds.
 */
export class ShardPlant {
  cost: PlantCost;
  #batchNo = 0;
  #delayMs = 0;
  #totals = { batches: 0, records: 0, processingMs: 0, quarantined: 0 };

  constructor(
    readonly store: CheckpointStore,
    readonly app: string,
    readonly shardId: string,
    cost: PlantCost,
    readonly arrivalsPerSec: number,
  ) {
    this.cost = cost;
  }

  /** Records/s the shard can sustain: batches that take exactly one second. */
  get capacityPerSec(): number {
    return (1000 - this.cost.overheadMs) / this.cost.costPerRecordMs;
  }

  get schedulingDelayMs(): number {
    return this.#delayMs;
  }

  /** Runs `seconds` one-second batches at the rate published now, committing each. */
  async run(seconds: number, nowMs: number): Promise<void> {
    const pk = StorageKeys.shardPartition(this.app, this.shardId);
    const control = await this.store.get(pk, StorageKeys.CONTROL_SK);
    const rate = control === undefined ? undefined : (JSON.parse(control.data) as { rateLimit?: number }).rateLimit;
    for (let s = 0; s < seconds; s++) {
      const records = Math.min(this.arrivalsPerSec, rate === undefined ? Number.POSITIVE_INFINITY : Math.floor(rate));
      const processingMs = this.cost.overheadMs + this.cost.costPerRecordMs * records;
      this.#delayMs = Math.max(0, this.#delayMs + processingMs - 1000);
      this.#totals = {
        batches: this.#totals.batches + 1,
        records: this.#totals.records + records,
        processingMs: this.#totals.processingMs + processingMs,
        quarantined: 0,
      };
      await this.#commit(pk, nowMs - (seconds - s - 1) * 1000, records, processingMs);
    }
  }

  async #commit(pk: string, atMs: number, records: number, processingMs: number): Promise<void> {
    const previous = this.#batchNo;
    this.#batchNo++;
    const checkpoint: CheckpointRecord = {
      batchNo: this.#batchNo,
      committedSeq: String(this.#totals.records),
      stateLayout: '',
      lastBatch: { records, processingMs, quarantined: 0, quarantinedElements: 0, schedulingDelayMs: this.#delayMs, batchTimeMs: atMs },
      totals: this.#totals,
      updatedAtMs: atMs,
    };
    await this.store.transact([
      {
        kind: 'put',
        item: { pk, sk: StorageKeys.CHECKPOINT_SK, version: this.#batchNo, data: JSON.stringify(checkpoint) },
        condition: previous === 0 ? { absent: true } : { version: previous },
      },
      ...(previous === 0
        ? [
            {
              kind: 'put' as const,
              item: {
                pk: StorageKeys.appPartition(this.app),
                sk: StorageKeys.shardSk(this.shardId),
                version: 1,
                data: JSON.stringify({ shardId: this.shardId }),
              },
            },
          ]
        : []),
    ]);
  }
}
