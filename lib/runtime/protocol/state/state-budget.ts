import { StateLimitError } from '../../../core/errors';
import type { StateManifest } from './state-manifest';

/**
 * Heap a state takes: about this much per key (its slot, its key string, the map's entry, its
 * update time)… measured (`npm run bench -- state-memory`): 154 bytes per word count (13-character
 * keys), 278 per key holding a ~90-byte object; this model puts both about 10 % higher.
 */
export const MEMORY_PER_STATE_KEY = 120;

/** …plus this much per byte of the key's serialized row (its value's own objects and strings). */
export const MEMORY_PER_STATE_BYTE = 1.5;

/**
 * Share of the heap a shard's state may take: the rest is for the batch being computed, the
 * transient strings and buffers of a snapshot being written or loaded, the runtime, and the spike
 * of the state's map growing (it allocates its next, twice as large table while the old one is
 * alive). Measured (`npm run bench -- state-memory`): at 60 % a 448 MB heap ran out of memory in a
 * growth spike; at 50 % every heap size tried writes its snapshot at the limit.
 */
export const DEFAULT_STATE_HEAP_FRACTION = 0.5;

/**
 * Refuses a shard state too big for this process before it exhausts the heap: loading it, or
 * committing a batch that grew it past the budget, throws a {@link StateLimitError} naming the
 * estimate, the budget and what to change. An out-of-memory crash would instead kill the process
 * mid-batch, every retry the same way, with no word of why.
 *
 * The estimate is the manifest's key count, and the average serialized row of its last snapshot,
 * through the model of {@link MEMORY_PER_STATE_KEY} and {@link MEMORY_PER_STATE_BYTE}.
 */
export class StateBudget {
  readonly budgetBytes: number;
  /** The budget's origin, for the message: a share of the heap, or a setting. */
  #of: string;
  readonly #where: string;

  /**
   * @param heapLimitBytes the process's heap limit (`v8.getHeapStatistics().heap_size_limit`)
   * @param where how to raise it, for the message (`the function's memorySize`, `--max-old-space-size`)
   */
  constructor(heapLimitBytes: number, where: string, fraction = DEFAULT_STATE_HEAP_FRACTION) {
    this.budgetBytes = Math.floor(heapLimitBytes * fraction);
    this.#of = `${Math.round(fraction * 100)}% of a ${mb(heapLimitBytes)} heap`;
    this.#where = where;
  }

  /** A budget set outright (`sluice run --state-memory`), named by the setting `where` that raises it. */
  static fixed(budgetBytes: number, where: string): StateBudget {
    const budget = new StateBudget(budgetBytes, where, 1);
    budget.#of = where;
    return budget;
  }

  /** Estimated heap bytes of the state `manifest` describes (0 before its first snapshot). */
  static estimate(manifest: StateManifest): number {
    const snapshot = manifest.snapshot;
    if (snapshot === undefined || snapshot.keys === 0) return 0;
    const rawBytes = (manifest.keys * snapshot.rawBytes) / snapshot.keys;
    return Math.round(manifest.keys * MEMORY_PER_STATE_KEY + rawBytes * MEMORY_PER_STATE_BYTE);
  }

  /** Throws when the state `manifest` describes does not fit the budget. */
  check(shardId: string, manifest: StateManifest): void {
    const estimated = StateBudget.estimate(manifest);
    if (estimated <= this.budgetBytes) return;
    throw new StateLimitError(
      shardId,
      estimated,
      this.budgetBytes,
      `shard ${shardId}: its state (${manifest.keys.toLocaleString('en-US')} keys, about ${mb(estimated)} in memory) does not fit this process's budget of ${mb(this.budgetBytes)} ` +
        `(${this.#of}): raise ${this.#where}, or spread the keys over more shards`,
    );
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / 1_048_576).toLocaleString('en-US')} MB`;
}
