import type { BatchComputation } from '../../core/engine/batch-computation';
import type { DecodedBatch } from '../../core/engine/decode-records';
import type { BatchInfo } from '../../core/pipeline/op-spec';
import type { SourceRecord } from '../../core/source-record';
import type { ObjectStore } from '../../ports/object-store';
import type { OutputSink } from '../../ports/output-sink';
import { SinkError } from '../../core/errors';
import { isFatalError } from '../failures/is-fatal-error';
import { isTransientError } from '../failures/is-transient-error';
import { describeError, Quarantine, type QuarantineEntry } from './quarantine';

/**
 * Step 4: hands the batch's outputs to the sinks and writes its quarantine entries, all before the
 * commit, so a crash re-runs them with the same batch id (sinks must be idempotent per batch id).
 * Returns what it set aside: whole source records (a record that does not decode, or that a function
 * before the first barrier threw on), and elements — one key's values of the batch that an operator
 * after a barrier threw on, which leave the record's other keys applied (docs/decisions/0014).
 */
export async function emitBatch(input: {
  app: string;
  shardId: string;
  batchNo: number;
  batchTimeMs: number;
  records: readonly SourceRecord[];
  decoded: DecodedBatch;
  computation: BatchComputation;
  objects: ObjectStore;
  output: OutputSink | undefined;
}): Promise<{ records: number; elements: number }> {
  const { app, shardId, batchNo, batchTimeMs, records, decoded, computation } = input;
  const base = { app, shardId, batchNo };
  const entries: QuarantineEntry[] = [];
  for (const u of decoded.undecodable)
    entries.push({ ...Quarantine.ofRecord({ ...base, stage: 'decode' }, records[u.index]!, new Error(u.reason)), reason: u.reason, stack: undefined });
  for (const f of computation.failures) {
    if (f.stage === 0 && f.index !== undefined) {
      entries.push(Quarantine.ofRecord({ ...base, stage: f.operator }, records[decoded.recordIndex[f.index]!]!, f.error));
    } else {
      entries.push({ ...base, stage: f.operator, element: safeJson(f.element), ...describeError(f.error) });
    }
  }

  const info: BatchInfo = { app, shardId, batchNo, batchTimeMs, batchId: `${app}/${shardId}/${batchNo}` };
  const work: Array<Promise<unknown>> = [];
  if (entries.length > 0) work.push(new Quarantine(input.objects).write(entries));
  for (const { op, items } of computation.outputs) {
    if (op.kind === 'print') input.output?.print(info, op.id, items.slice(0, op.n), items.length);
    // The exchange is sent by the processor once the sinks are done (docs/decisions/0015).
    else if (op.kind === 'exchange') continue;
    else work.push(runSink(op.id, info.batchId, () => op.fn(items, info)));
  }
  await Promise.all(work);
  const whole = entries.filter((e) => e.seq !== undefined).length;
  return { records: whole, elements: entries.length - whole };
}

/**
 * Runs a user's sink; what it throws becomes a {@link SinkError}, the failure that is the batch's
 * own — unless it says the sink itself cannot work (its configuration, its permissions, a resource
 * that does not exist): no batch would pass, so that stops the shard instead of setting batches aside.
 */
async function runSink(operatorId: string, batchId: string, sink: () => unknown): Promise<void> {
  try {
    await sink();
  } catch (error) {
    if (isFatalError(error) || isBrokenSinkError(error)) throw error;
    throw new SinkError(operatorId, batchId, error, { retryable: isTransientError(error) });
  }
}

/** AWS answers that no content can change: denied, unknown credentials, a table or bucket that is not there. */
const BROKEN_SINK_ERROR =
  /^(AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken|InvalidAccessKeyId|ResourceNotFound|NoSuchBucket|QueueDoesNotExist|NonExistentQueue|CredentialsProvider)/;

function isBrokenSinkError(error: unknown): boolean {
  return error instanceof Error && BROKEN_SINK_ERROR.test(error.name);
}

function safeJson(x: unknown): string {
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}
