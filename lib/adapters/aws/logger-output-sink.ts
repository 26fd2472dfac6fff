import type { Logger } from '@aws-lambda-powertools/logger';
import type { BatchInfo } from '../../core/pipeline/op-spec';
import type { OutputSink } from '../../ports/output-sink';

/**
 * `print(n)` on Lambda: each batch's first items go to the structured log as one `print` entry,
 * keyed by the batch id, so Logs Insights can follow an operator's output batch by batch.
 */
export class LoggerOutputSink implements OutputSink {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  print(info: BatchInfo, operatorId: string, items: readonly unknown[], total: number): void {
    this.#logger.info('print', {
      operatorId,
      batchId: info.batchId,
      batchNo: info.batchNo,
      shardId: info.shardId,
      batchTimeMs: info.batchTimeMs,
      total,
      items: [...items],
    });
  }
}
