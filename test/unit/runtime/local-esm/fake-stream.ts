import type { KinesisStreamEvent } from 'aws-lambda';
import type { SourceRecord } from '../../../../lib/core/source-record';
import type { Clock } from '../../../../lib/ports/clock';
import type { ReadResult, ShardInfo, Source } from '../../../../lib/ports/source';
import { LocalEsm, type EsmRunSummary, type LocalEsmOptions } from '../../../../lib/runtime/local-esm/local-esm';
import { FakeClock } from '../../../helpers/fake-clock';

/** A record of a fake shard; it becomes readable at `visibleAtMs` (default 0). */
export interface FakeRecord extends SourceRecord {
  readonly visibleAtMs: number;
}

/** A shard of {@link FakeStream}: closed shards end once read to their last record. */
export interface FakeShard {
  readonly shardId: string;
  readonly parentShardIds?: readonly string[];
  readonly closed?: boolean;
  readonly records: readonly FakeRecord[];
}

/** Records with seqs `from`..`from+count-1`, data `r{seq}`. */
export function fakeRecords(count: number, options: { from?: number; visibleAtMs?: number; arrivalMs?: number; bytes?: number } = {}): FakeRecord[] {
  const from = options.from ?? 1;
  return Array.from({ length: count }, (_, i) => {
    const seq = String(from + i);
    const data = options.bytes === undefined ? new TextEncoder().encode(`r${seq}`) : new Uint8Array(options.bytes).fill(97);
    return { seq, arrivalMs: options.arrivalMs ?? options.visibleAtMs ?? 0, partitionKey: `k${seq}`, data, visibleAtMs: options.visibleAtMs ?? 0 };
  });
}

/** An in-memory {@link Source} whose records appear over (fake) time, with read calls recorded. */
export class FakeStream implements Source {
  readonly reads: Array<{ shardId: string; afterSeq: string | undefined; maxRecords: number }> = [];

  constructor(
    readonly shards: readonly FakeShard[],
    readonly clock: Clock,
  ) {}

  async listShards(): Promise<ShardInfo[]> {
    return this.shards.map((s) => ({ shardId: s.shardId, parentShardIds: s.parentShardIds ?? [] }));
  }

  async read(shardId: string, afterSeq: string | undefined, maxRecords: number): Promise<ReadResult> {
    this.reads.push({ shardId, afterSeq, maxRecords });
    const shard = this.shards.find((s) => s.shardId === shardId)!;
    const after = shard.records.filter((r) => afterSeq === undefined || BigInt(r.seq) > BigInt(afterSeq));
    const visible = after.filter((r) => r.visibleAtMs <= this.clock.nowMs());
    const records = visible.slice(0, maxRecords).map(({ visibleAtMs: _v, ...record }) => record);
    return { records, endOfShard: (shard.closed ?? false) && records.length === after.length, endOfData: false };
  }
}

/** One call of the fake handler: the event it got and the time it got it. */
export interface Delivery {
  readonly shardId: string;
  readonly seqs: string[];
  readonly atMs: number;
  readonly event: KinesisStreamEvent;
}

export const ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/words';

/**
 * Runs a {@link LocalEsm} over `shards` with `respond` as the handler, advancing a fake clock, until
 * drained (or, given `stopAtMs`, until that time, for records that appear later); returns every
 * delivery in order and the run's summary.
 */
export async function runEsm(
  shards: readonly FakeShard[],
  respond: (delivery: Delivery, index: number) => unknown | Promise<unknown>,
  options: Partial<Omit<LocalEsmOptions, 'source' | 'handler' | 'clock'>> & { stopAtMs?: number } = {},
): Promise<{ deliveries: Delivery[]; summary: EsmRunSummary; clock: FakeClock }> {
  const { stopAtMs, ...esmOptions } = options;
  const clock = new FakeClock({ startMs: 0 });
  const source = new FakeStream(shards, clock);
  const deliveries: Delivery[] = [];
  const esm = new LocalEsm({
    source,
    clock,
    eventSourceArn: ARN,
    pollIntervalMs: 100,
    retryDelayMs: 10,
    ...esmOptions,
    handler: async (event) => {
      const delivery: Delivery = {
        shardId: event.Records[0]!.eventID.split(':')[0]!,
        seqs: event.Records.map((r) => r.kinesis.sequenceNumber),
        atMs: clock.nowMs(),
        event,
      };
      deliveries.push(delivery);
      const response = respond(delivery, deliveries.length - 1);
      if (response instanceof Error) throw response;
      return response;
    },
  });
  let summary: EsmRunSummary | undefined;
  let failure: unknown;
  const stop = new AbortController();
  const running = esm.run({ untilDrained: stopAtMs === undefined, signal: stop.signal }).then(
    (s) => (summary = s),
    (e: unknown) => (failure = e),
  );
  for (let step = 0; step < 100_000 && summary === undefined && failure === undefined; step++) {
    if (stopAtMs !== undefined && clock.nowMs() >= stopAtMs) stop.abort();
    await clock.advance(50);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await running;
  if (failure !== undefined) throw failure;
  return { deliveries, summary: summary!, clock };
}

/** `'1-4'` style ranges of the deliveries, for compact assertions. */
export function ranges(deliveries: readonly Delivery[]): string[] {
  return deliveries.map((d) => (d.seqs.length === 1 ? d.seqs[0]! : `${d.seqs[0]}-${d.seqs[d.seqs.length - 1]}`));
}
