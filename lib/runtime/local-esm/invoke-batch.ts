import type { KinesisStreamEvent } from 'aws-lambda';
import type { SourceRecord } from '../../core/source-record';
import type { Clock } from '../../ports/clock';
import { interpretResponse, type BatchOutcome } from './batch-outcome';
import { toKinesisStreamEvent, type EventSourceInfo } from './kinesis-event';

/** A Lambda handler as the ESM calls it: one event of one shard in, a response (or a throw) out. */
export type EsmHandler = (event: KinesisStreamEvent) => Promise<unknown>;

/** One invocation as the ESM saw it. */
export interface InvocationReport {
  readonly shardId: string;
  readonly records: number;
  readonly firstSeq: string;
  readonly lastSeq: string;
  /** Failed deliveries of this batch's first record before this one. */
  readonly retries: number;
  readonly durationMs: number;
  readonly outcome: BatchOutcome;
  readonly response?: unknown;
  readonly error?: unknown;
}

/**
 * Invokes `handler` with `records` as one Kinesis event and reads the result the way Lambda does:
 * a throw is a function error, a response goes through {@link interpretResponse}. The event is built
 * fresh (base64 copies), so a handler cannot alter the records the ESM will deliver again.
 */
export async function invokeBatch(
  handler: EsmHandler,
  records: readonly SourceRecord[],
  retries: number,
  source: EventSourceInfo,
  clock: Clock,
  reportBatchItemFailures: boolean,
): Promise<InvocationReport> {
  const startedMs = clock.nowMs();
  const base = { shardId: source.shardId, records: records.length, firstSeq: records[0]!.seq, lastSeq: records[records.length - 1]!.seq, retries };
  try {
    const response = await handler(toKinesisStreamEvent(records, source));
    return { ...base, durationMs: clock.nowMs() - startedMs, outcome: interpretResponse(response, records, reportBatchItemFailures), response };
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ...base, durationMs: clock.nowMs() - startedMs, outcome: { kind: 'failure', reason, functionError: true }, error };
  }
}
