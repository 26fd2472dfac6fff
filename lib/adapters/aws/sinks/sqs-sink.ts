import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { ConfigError } from '../../../core/errors';
import type { BatchInfo } from '../../../core/pipeline/op-spec';
import { awsClientConfig } from '../aws-clients';
import { chunks, elementId, lazyClient, requireName, writeWithRetries, type BatchSink, type SinkCommonOptions } from './sink-common';

/** SendMessageBatch takes at most 10 messages. */
const SEND_BATCH_MAX = 10;

/** The message attribute holding an element's deterministic id. */
export const SQS_ID_ATTRIBUTE = 'sluice-id';

/** Options of {@link sqsSink}. */
export interface SqsSinkOptions<T> extends SinkCommonOptions {
  /** The queue's URL. A name ending in `.fifo` is a FIFO queue. */
  readonly queueUrl: string;
  /**
   * A message's body from the element.
   * @default - the element as JSON
   */
  readonly body?: (element: T, id: string) => string;
  /**
   * FIFO queues: the message group (order is kept within a group).
   * @default - the source shard, so the queue keeps each shard's order
   */
  readonly groupId?: (element: T, info: BatchInfo) => string;
  /** @default - a client from `aws`, or from the environment */
  readonly client?: SQSClient;
}

/**
 * An SQS deduplication id is at most 128 characters: the element id itself when it fits, else its
 * SHA-256 (still deterministic).
 */
export function deduplicationIdOf(id: string): string {
  return id.length <= 128 ? id : createHash('sha256').update(id).digest('hex');
}

/**
 * A `foreachBatch` sink that sends each element to an SQS queue (`SendMessageBatch`, 10 per call,
 * failed entries retried with backoff), with its deterministic id `{app}/{shard}/{batchNo}#{index}`
 * in the message attribute `sluice-id`. A FIFO queue also gets it as `MessageDeduplicationId`, so SQS
 * itself drops the copy a re-run sends within its 5-minute deduplication window; on a standard queue
 * consumers drop duplicates by the attribute.
 *
 * @example
 * orders.foreachBatch(sqsSink({ queueUrl: process.env.ORDERS_QUEUE_URL!, groupId: (o) => o.customer }))
 */
export function sqsSink<T>(options: SqsSinkOptions<T>): BatchSink<T> {
  const queueUrl = requireName('sqsSink.queueUrl', options.queueUrl);
  if (!/^https?:\/\//.test(queueUrl))
    throw new ConfigError(
      'sqsSink.queueUrl',
      `must be the queue's URL, https://sqs.{region}.amazonaws.com/{account}/{name} (given ${JSON.stringify(queueUrl)})`,
    );
  const fifo = queueUrl.endsWith('.fifo');
  const client = lazyClient(options.client, () => new SQSClient(awsClientConfig(options.aws)));
  const bodyOf = options.body ?? ((x: T) => JSON.stringify(x) ?? 'null');

  return async (items, info) => {
    const entries: SendMessageBatchRequestEntry[] = items.map((x, i) => {
      const id = elementId(info, i);
      return {
        Id: String(i),
        MessageBody: bodyOf(x, id),
        MessageAttributes: { [SQS_ID_ATTRIBUTE]: { DataType: 'String', StringValue: id } },
        ...(fifo ? { MessageDeduplicationId: deduplicationIdOf(id), MessageGroupId: options.groupId?.(x, info) ?? info.shardId } : {}),
      };
    });
    for (const chunk of chunks(entries, SEND_BATCH_MAX)) {
      await writeWithRetries(
        `SendMessageBatch to ${queueUrl} (${info.batchId})`,
        chunk,
        async (left) => {
          const { Failed } = await client().send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [...left] }));
          if (Failed === undefined || Failed.length === 0) return [];
          const sender = Failed.find((f) => f.SenderFault === true);
          if (sender !== undefined) throw new Error(`SendMessageBatch to ${queueUrl} refused a message of ${info.batchId}: ${sender.Code}: ${sender.Message}`);
          const failed = new Set(Failed.map((f) => f.Id));
          return left.filter((e) => failed.has(e.Id));
        },
        options,
      );
    }
  };
}
