import type { Metrics } from '../../ports/metrics';
import type { ObjectStore } from '../../ports/object-store';
import { Quarantine } from '../protocol/quarantine';
import type { UndecodableEventRecord } from './decode-kinesis-event';

/**
 * Quarantines the records of an event whose `data` did not decode (not valid base64), with their
 * `data` string as it came and the reason. They never reach the pipeline nor the WAL, so they belong
 * to no batch: their entries are keyed by sequence number under batch 0
 * (`quarantine/{app}/{shard}/{0:020}-seq-{seq:060}`), and a redelivery writes nothing twice.
 *
 * The handler calls this after the batch committed and before it answers: the records are
 * acknowledged to the event source mapping only once their entries are durable.
 */
export async function setAsideUndecodable(input: {
  app: string;
  shardId: string;
  records: readonly UndecodableEventRecord[];
  objects: ObjectStore;
  metrics?: Metrics;
}): Promise<void> {
  const { app, shardId, records } = input;
  if (records.length === 0) return;
  const written = await new Quarantine(input.objects).writeOrphans(
    records.map((r) => ({ app, shardId, batchNo: 0, seq: r.seq, partitionKey: r.partitionKey, stage: 'decode', reason: r.reason, data: r.data })),
  );
  if (written > 0) input.metrics?.recordsQuarantined?.(shardId, written);
}
