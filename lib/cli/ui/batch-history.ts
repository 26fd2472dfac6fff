import type { BatchStats } from '../../core/batch-stats';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { ObjectStore } from '../../ports/object-store';
import { readShardStatuses, type ShardStatus } from '../../runtime/local-esm/shard-status';
import { readQuarantine, type QuarantineItem } from '../../runtime/failures/read-quarantine';

/** One committed batch as the web UI shows it. */
export interface UiBatch {
  readonly shardId: string;
  readonly batchNo: number;
  readonly batchTimeMs: number;
  readonly records: number;
  readonly processingMs: number;
  readonly schedulingDelayMs: number;
  /** Scheduling delay plus processing time: Spark's "total delay". */
  readonly totalDelayMs: number;
  /** Records per second that arrived for this batch: its records over the time since the shard's previous batch. */
  readonly inputRate: number | undefined;
  readonly rateLimit: number | undefined;
  readonly millisBehind: number | undefined;
  readonly replayed: boolean;
  readonly quarantined: number;
  /** Batches of the shard committed between this one and the previous one seen, not sampled. */
  readonly missedBefore: number;
  /** Records the shard had taken in up to this batch (the checkpoint's running total). */
  readonly totalRecords: number;
}

/** What `/api/snapshot` answers: the app's shards now, their recent batches and quarantine. */
export interface UiSnapshot {
  readonly app: string;
  readonly where: string;
  readonly nowMs: number;
  readonly shards: readonly ShardStatus[];
  readonly batches: readonly UiBatch[];
  readonly quarantine: readonly UiQuarantineEntry[];
  readonly quarantineTotal: number;
}

export interface UiQuarantineEntry {
  readonly key: string;
  readonly shardId: string;
  readonly batchNo: number;
  readonly seq: string;
  readonly stage: string;
  readonly reason: string;
}

/** Options of {@link BatchHistory}. */
export interface BatchHistoryOptions {
  readonly app: string;
  readonly where: string;
  readonly checkpoints: CheckpointStore;
  readonly objects: ObjectStore;
  /** Batches kept per shard. @default 300 */
  readonly keep?: number;
  /** Quarantine entries shown (the newest). @default 100 */
  readonly quarantineShown?: number;
}

/**
 * The web UI's memory of an app: its recent batches per shard, built from the checkpoint's stats
 * (the last batch of each shard, the ones `sluice status` reads) each time it is sampled, or fed
 * every batch by an in-process run (`run --ui`). A sample that finds a shard several batches ahead
 * records the last and how many it missed (docs/decisions/0030).
 */
export class BatchHistory {
  readonly #o: BatchHistoryOptions;
  readonly #batches = new Map<string, UiBatch[]>();
  #shards: ShardStatus[] = [];
  #quarantine: { items: UiQuarantineEntry[]; total: number } = { items: [], total: 0 };

  constructor(options: BatchHistoryOptions) {
    this.#o = options;
  }

  /** Reads every shard's checkpoint once and records the batches committed since the last sample. */
  async sample(): Promise<void> {
    const shards = await readShardStatuses(this.#o.checkpoints, this.#o.app, []);
    this.#shards = shards;
    for (const s of shards) {
      const b = s.lastBatch;
      if (b === undefined || s.batchNo === 0) continue;
      this.#add({
        shardId: s.shardId,
        batchNo: s.batchNo,
        batchTimeMs: b.batchTimeMs ?? s.updatedAtMs ?? 0,
        records: b.records ?? 0,
        processingMs: b.processingMs ?? 0,
        schedulingDelayMs: b.schedulingDelayMs ?? 0,
        rateLimit: b.rateLimit,
        millisBehind: b.millisBehind,
        replayed: b.replayed === true,
        quarantined: (b.quarantined ?? 0) + (b.quarantinedElements ?? 0),
        totalRecords: s.totals?.records,
      });
    }
  }

  /** Records a batch an in-process run just committed. */
  record(stats: BatchStats): void {
    this.#add({
      ...stats,
      rateLimit: stats.rateLimit,
      millisBehind: stats.millisBehind,
      quarantined: stats.quarantined + (stats.quarantinedElements ?? 0),
      totalRecords: undefined,
    });
  }

  /** Reads the app's quarantine again (it can be long: done less often than {@link sample}). */
  async sampleQuarantine(): Promise<void> {
    const items = await readQuarantine(this.#o.objects, this.#o.checkpoints, this.#o.app);
    const shown = items
      .slice(-(this.#o.quarantineShown ?? 100))
      .reverse()
      .map(summarize);
    this.#quarantine = { items: shown, total: items.length };
  }

  snapshot(nowMs: number): UiSnapshot {
    const batches = [...this.#batches.values()].flat().sort((a, b) => a.batchTimeMs - b.batchTimeMs || a.shardId.localeCompare(b.shardId));
    return {
      app: this.#o.app,
      where: this.#o.where,
      nowMs,
      shards: this.#shards,
      batches,
      quarantine: this.#quarantine.items,
      quarantineTotal: this.#quarantine.total,
    };
  }

  #add(b: Omit<UiBatch, 'totalDelayMs' | 'inputRate' | 'missedBefore' | 'totalRecords'> & { totalRecords: number | undefined }): void {
    let list = this.#batches.get(b.shardId);
    if (list === undefined) this.#batches.set(b.shardId, (list = []));
    const previous = list.at(-1);
    if (previous !== undefined && b.batchNo <= previous.batchNo) return;
    const sinceMs = previous === undefined ? undefined : b.batchTimeMs - previous.batchTimeMs;
    const totalRecords = b.totalRecords ?? (previous?.totalRecords ?? 0) + b.records;
    // Every record since the previous batch seen, the missed batches' included.
    const arrived = previous === undefined ? b.records : totalRecords - previous.totalRecords;
    list.push({
      ...b,
      totalRecords,
      totalDelayMs: b.schedulingDelayMs + b.processingMs,
      inputRate: sinceMs === undefined || sinceMs <= 0 ? undefined : (arrived * 1000) / sinceMs,
      missedBefore: previous === undefined ? 0 : b.batchNo - previous.batchNo - 1,
    });
    if (list.length > (this.#o.keep ?? 300)) list.shift();
  }
}

function summarize(item: QuarantineItem): UiQuarantineEntry {
  const { entry } = item;
  if (item.kind === 'batch') {
    return {
      key: item.key,
      shardId: entry.shardId,
      batchNo: entry.batchNo,
      seq: `${item.entry.firstSeq}..${item.entry.lastSeq}`,
      stage: `batch (${item.entry.attempts} attempts)`,
      reason: entry.reason.split('\n')[0]!,
    };
  }
  return {
    key: item.key,
    shardId: entry.shardId,
    batchNo: entry.batchNo,
    seq: item.entry.seq ?? '-',
    stage: entry.stage,
    reason: entry.reason.split('\n')[0]!,
  };
}
