import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ConfigError } from '../../../core/errors';
import type { BatchInfo } from '../../../core/pipeline/op-spec';
import { awsClientConfig } from '../aws-clients';
import { packPutRecords } from '../pack-put-records';
import { elementId, lazyClient, writeWithRetries, type BatchSink, type SinkCommonOptions } from './sink-common';

/** Options of {@link kinesisSink}. */
export interface KinesisSinkOptions<T> extends SinkCommonOptions {
  /** The stream written to, by name. Give this or `streamArn`. */
  readonly streamName?: string;
  /** The stream written to, by ARN (needed across accounts). */
  readonly streamArn?: string;
  /**
   * A record's data from the element and its deterministic id (`{app}/{shard}/{batchNo}#{index}`).
   * Put the id in the data: it is how consumers drop duplicates.
   * @default - UTF-8 JSON `{"id": id, "value": element}`
   */
  readonly data?: (element: T, id: string) => Uint8Array | string;
  /**
   * A record's partition key.
   * @default - the record's id, which spreads records evenly over the shards
   */
  readonly partitionKey?: (element: T, id: string) => string;
  /** @default - a client from `aws`, or from the environment */
  readonly client?: KinesisClient;
}

/** What the default `data` writes: the element under its deterministic id. */
export interface SinkEnvelope<T> {
  readonly id: string;
  readonly value: T;
}

/**
 * A `foreachBatch` sink that puts each element to another Kinesis stream as one record carrying its
 * deterministic id `{app}/{shard}/{batchNo}#{index}`. Kinesis has no idempotent put: a re-run of a
 * batch puts its records again, under the same ids, so a consumer drops duplicates by id (a sluice
 * pipeline reading the stream keeps a `mapWithState` of seen ids, say). `PutRecords` is called with
 * up to 500 records / 5 MiB, and the records it reports as failed are retried with backoff.
 *
 * @example
 * alerts.foreachBatch(kinesisSink({ streamName: process.env.ALERTS_STREAM!, partitionKey: (a) => a.user }))
 */
export function kinesisSink<T>(options: KinesisSinkOptions<T>): BatchSink<T> {
  if ((options.streamName === undefined) === (options.streamArn === undefined))
    throw new ConfigError('kinesisSink', 'give exactly one of streamName and streamArn');
  const target = options.streamArn !== undefined ? { StreamARN: options.streamArn } : { StreamName: options.streamName };
  const client = lazyClient(options.client, () => new KinesisClient({ ...awsClientConfig(options.aws), requestHandler: new NodeHttpHandler() }));
  const encoder = new TextEncoder();
  const dataOf = options.data ?? ((x: T, id: string) => JSON.stringify({ id, value: x } satisfies SinkEnvelope<T>));

  return async (items, info: BatchInfo) => {
    const records = items.map((x, i) => {
      const id = elementId(info, i);
      const data = dataOf(x, id);
      return { data: typeof data === 'string' ? encoder.encode(data) : data, partitionKey: options.partitionKey?.(x, id) ?? id };
    });
    for (const request of packPutRecords(records)) {
      const entries: PutRecordsRequestEntry[] = request.map((i) => ({ Data: records[i]!.data, PartitionKey: records[i]!.partitionKey }));
      await writeWithRetries(
        `PutRecords to ${options.streamName ?? options.streamArn} (${info.batchId})`,
        entries,
        async (left) => {
          const { FailedRecordCount, Records } = await client().send(new PutRecordsCommand({ ...target, Records: [...left] }));
          if (!FailedRecordCount) return [];
          return left.filter((_, i) => Records?.[i]?.ErrorCode !== undefined);
        },
        options,
      );
    }
  };
}
