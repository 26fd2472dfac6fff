import { createRequire } from 'node:module';

/**
 * AWS Labs' `aws-kinesis-agg` (npm), an encoder and decoder of the KPL aggregation format written
 * independently of sluice: what tests aggregate with and check sluice's aggregates against.
 */
interface KinesisAgg {
  aggregate(
    records: Array<{ partitionKey: string; data: Buffer }>,
    onEncoded: (encoded: { partitionKey: string; data: Buffer }, done: (error?: Error) => void) => void,
    afterAll: () => void,
    onError: (error: Error) => void,
  ): void;
  deaggregateSync(
    record: { data: string; sequenceNumber: string; partitionKey: string },
    computeChecksums: boolean,
    callback: (error: Error | null, records?: Array<{ partitionKey: string; data: string; subSequenceNumber: number }>) => void,
  ): void;
}

const agg = createRequire(import.meta.url)('aws-kinesis-agg') as KinesisAgg;

/** Aggregates `records` with aws-kinesis-agg: the encoded Kinesis records, in order. */
export async function aggregateIndependently(
  records: ReadonlyArray<{ partitionKey: string; data: Uint8Array }>,
): Promise<Array<{ partitionKey: string; data: Uint8Array }>> {
  const out: Array<{ partitionKey: string; data: Uint8Array }> = [];
  await new Promise<void>((resolve, reject) => {
    agg.aggregate(
      records.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data) })),
      (encoded, done) => {
        out.push({ partitionKey: encoded.partitionKey, data: new Uint8Array(encoded.data) });
        done();
      },
      () => resolve(),
      reject,
    );
  });
  return out;
}

/** De-aggregates a record with aws-kinesis-agg, checksums on. */
export function deaggregateIndependently(data: Uint8Array): Array<{ partitionKey: string; data: Uint8Array }> {
  let result: Array<{ partitionKey: string; data: Uint8Array }> = [];
  agg.deaggregateSync({ data: Buffer.from(data).toString('base64'), sequenceNumber: '1', partitionKey: 'p' }, true, (error, records) => {
    if (error) throw error;
    result = (records ?? []).map((r) => ({ partitionKey: r.partitionKey, data: new Uint8Array(Buffer.from(r.data, 'base64')) }));
  });
  return result;
}
