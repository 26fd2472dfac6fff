import { compilePipeline, type CompiledPipeline } from '../../lib/core/engine/compile-pipeline';
import type { BatchInfo, ForeachBatchFn } from '../../lib/core/pipeline/op-spec';
import { pipeline } from '../../lib/core/pipeline/stream';
import { POISON_WORD } from './chaos-records';

/** One batch's output as the idempotent sink kept it. */
export interface LoggedBatch {
  readonly shardId: string;
  readonly batchNo: number;
  readonly items: readonly string[];
}

/**
 * The idempotent sink of the chaos schedules, as docs/architecture.md §3 asks sinks to be: one entry per
 * batch id, written once. A batch emitted again must bring exactly the items it brought first
 * (deterministic replay); a different set is recorded as a conflict.
 */
export class OutputLog {
  readonly batches = new Map<string, LoggedBatch>();
  readonly conflicts: string[] = [];

  /** @param table a real sink the same items go to after the log (the moto backend's DynamoDB sink). */
  constructor(private readonly table?: ForeachBatchFn) {}

  readonly write: ForeachBatchFn = async (items: unknown[], info: BatchInfo) => {
    const words = items as string[];
    const seen = this.batches.get(info.batchId);
    if (seen === undefined) this.batches.set(info.batchId, { shardId: info.shardId, batchNo: info.batchNo, items: [...words] });
    else if (seen.items.length !== words.length || seen.items.some((w, i) => w !== words[i])) this.conflicts.push(info.batchId);
    await this.table?.(items, info);
  };
}

/**
 * Word count as the chaos schedules run it: the example's counting, plus a map that throws on a
 * poison pill, and a `foreachBatch` of every batch's words before they are counted, to check that
 * outputs are exactly-once too. Compiled once per Lambda instance, as each container loads it.
 */
export function chaosPipeline(sink: ForeachBatchFn): CompiledPipeline {
  return compilePipeline(
    pipeline('chaos-word-count')
      .map((line: string) => {
        if (line.split(' ').includes(POISON_WORD)) throw new Error(`poison pill: ${line.slice(0, 40)}`);
        return line;
      })
      .flatMap((line) => line.split(/\s+/))
      .filter((word) => word.length > 0)
      .foreachBatch(sink)
      .countByValue()
      .updateStateByKey<string, number, number>((counts, total = 0) => counts.reduce((sum, n) => sum + n, total), {
        name: 'totals',
        merge: (a, b) => a + b,
      }) as never,
  );
}
