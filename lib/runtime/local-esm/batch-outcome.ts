import type { SourceRecord } from '../../core/source-record';

/**
 * How the ESM reads one invocation's result:
 * - `success`: checkpoint after the batch's last record;
 * - `partial`: records before `fromIndex` succeeded, the checkpoint moves to just before it and
 *   everything from it is delivered again (successes after it too);
 * - `failure`: the whole batch failed (a thrown error or a malformed response).
 */
export type BatchOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly fromIndex: number }
  | { readonly kind: 'failure'; readonly reason: string; readonly functionError: boolean };

/**
 * Interprets a handler's response the way Lambda does for Kinesis (services-kinesis-batchfailurereporting):
 * with `ReportBatchItemFailures` off, any response is a success. With it on, a missing or empty
 * `batchItemFailures` is a success; several entries checkpoint at the LOWEST sequence number; an
 * entry whose `itemIdentifier` is missing, empty, not a string or not a sequence number of this
 * batch fails the whole batch, so a malformed answer can never skip a record.
 */
export function interpretResponse(response: unknown, batch: readonly SourceRecord[], reportBatchItemFailures: boolean): BatchOutcome {
  if (!reportBatchItemFailures || response === null || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return malformed(`batchItemFailures is ${typeof failures}, not a list`);
  if (failures.length === 0) return { kind: 'success' };
  const indexBySeq = new Map(batch.map((record, index) => [record.seq, index]));
  let lowest = Number.POSITIVE_INFINITY;
  for (const entry of failures as unknown[]) {
    const id = entry !== null && typeof entry === 'object' ? (entry as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') return malformed(`itemIdentifier ${JSON.stringify(id) ?? 'undefined'} is not a sequence number`);
    const index = indexBySeq.get(id);
    if (index === undefined) return malformed(`itemIdentifier ${id} is not a record of this batch`);
    lowest = Math.min(lowest, index);
  }
  return { kind: 'partial', fromIndex: lowest };
}

function malformed(reason: string): BatchOutcome {
  return { kind: 'failure', reason: `malformed batch response: ${reason}`, functionError: false };
}
