import { BatchWriteItemCommand, DynamoDBClient, UpdateItemCommand, type AttributeValue, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ConfigError } from '../../../core/errors';
import type { BatchInfo } from '../../../core/pipeline/op-spec';
import { awsClientConfig } from '../aws-clients';
import { chunks, elementId, forEachLimited, lazyClient, requireName, writeWithRetries, type BatchSink, type SinkCommonOptions } from './sink-common';

/** BatchWriteItem takes at most 25 requests. */
const BATCH_WRITE_MAX = 25;

/** Options of {@link dynamoDbSink}. */
export interface DynamoDbSinkOptions<T> extends SinkCommonOptions {
  /** The table written to. Its key attributes must be in every item. */
  readonly tableName: string;
  /**
   * The item of an element, as plain JavaScript (marshalled with `@aws-sdk/util-dynamodb`, empty
   * values and `undefined` removed). Must hold the table's key.
   * @default - the element itself, which must then be an object
   */
  readonly item?: (element: T, info: BatchInfo, index: number) => Record<string, unknown>;
  /**
   * `put`: every element is one item, written with `BatchWriteItem` (25 per call, unprocessed items
   * retried with backoff). A re-run of the batch puts the same items under the same keys: one copy.
   *
   * `upsert`: every element is a key's latest aggregate (e.g. the output of `updateStateByKey`),
   * written with one conditional `UpdateItem` per element that sets its attributes and the batch
   * watermark `sluice:batch:{shardId}` — only if the stored watermark is older than this batch. A
   * re-run never applies twice, and an older batch never overwrites a newer one. The watermark is
   * per shard: when shards hold partial aggregates of one key, put `info.shardId` in the key.
   * @default 'put'
   */
  readonly mode?: 'put' | 'upsert';
  /**
   * With `mode: 'put'`: an attribute set to the element's deterministic id
   * (`{app}/{shard}/{batchNo}#{index}`), for tables keyed by it (one item per element, an event log).
   * @default - no id attribute
   */
  readonly idAttribute?: string;
  /**
   * With `mode: 'upsert'`: the key attributes' names (the rest of the item is SET).
   * @default ['pk'] when `mode` is 'upsert'
   */
  readonly keyAttributes?: readonly string[];
  /**
   * `UpdateItem` calls in flight at once, with `mode: 'upsert'`.
   * @default 16
   */
  readonly concurrency?: number;
  /** @default - a client from `aws`, or from the environment */
  readonly client?: DynamoDBClient;
}

/** The attribute that holds, per shard, the number of the last batch that upserted an item. */
export function watermarkAttribute(shardId: string): string {
  return `sluice:batch:${shardId}`;
}

/**
 * A `foreachBatch` sink that writes each element to a DynamoDB table, exactly once per batch under
 * re-runs (see {@link DynamoDbSinkOptions.mode}).
 *
 * @example
 * totals.foreachBatch(dynamoDbSink({ tableName: process.env.TOTALS_TABLE!, mode: 'upsert', keyAttributes: ['word'],
 *   item: ([word, count]) => ({ word, count }) }))
 */
export function dynamoDbSink<T>(options: DynamoDbSinkOptions<T>): BatchSink<T> {
  const tableName = requireName('dynamoDbSink.tableName', options.tableName);
  const mode = options.mode ?? 'put';
  if (mode !== 'put' && mode !== 'upsert') throw new ConfigError('dynamoDbSink.mode', `must be 'put' or 'upsert' (given ${JSON.stringify(mode)})`);
  const keyAttributes = options.keyAttributes ?? ['pk'];
  if (mode === 'upsert' && (keyAttributes.length < 1 || keyAttributes.length > 2))
    throw new ConfigError('dynamoDbSink.keyAttributes', "must name the table's partition key and, if any, its sort key");
  if (mode === 'upsert' && options.idAttribute !== undefined)
    throw new ConfigError('dynamoDbSink.idAttribute', "is for mode 'put': an upserted item is a key's aggregate, not one element");
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError('dynamoDbSink.concurrency', `must be an integer ≥ 1 (given ${concurrency})`);
  const client = lazyClient(options.client, () => new DynamoDBClient(awsClientConfig(options.aws)));

  const itemOf = (element: T, info: BatchInfo, index: number): Record<string, unknown> => {
    const item = options.item === undefined ? element : options.item(element, info, index);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new TypeError(`dynamoDbSink: element ${index} of batch ${info.batchId} is not an object (${typeof item}); give an \`item\` function`);
    }
    return options.idAttribute === undefined
      ? (item as Record<string, unknown>)
      : { ...(item as Record<string, unknown>), [options.idAttribute]: elementId(info, index) };
  };

  if (mode === 'put') {
    return async (items, info) => {
      const requests: WriteRequest[] = items.map((x, i) => ({ PutRequest: { Item: marshallItem(itemOf(x, info, i)) } }));
      for (const chunk of chunks(requests, BATCH_WRITE_MAX)) {
        await writeWithRetries(
          `BatchWriteItem to ${tableName} (${info.batchId})`,
          chunk,
          async (left) => {
            const { UnprocessedItems } = await client().send(new BatchWriteItemCommand({ RequestItems: { [tableName]: [...left] } }));
            return UnprocessedItems?.[tableName] ?? [];
          },
          options,
        );
      }
    };
  }

  return async (items, info) => {
    const watermark = watermarkAttribute(info.shardId);
    await forEachLimited(
      items.map((x, i) => itemOf(x, info, i)),
      concurrency,
      async (item) => {
        const key: Record<string, unknown> = {};
        const names: Record<string, string> = { '#w': watermark };
        const values: Record<string, AttributeValue> = { ':n': { N: String(info.batchNo) } };
        const sets = ['#w = :n'];
        let a = 0;
        for (const [name, value] of Object.entries(item)) {
          if (value === undefined) continue;
          if (keyAttributes.includes(name)) {
            key[name] = value;
            continue;
          }
          names[`#a${a}`] = name;
          values[`:a${a}`] = marshall({ v: value }, { removeUndefinedValues: true, convertClassInstanceToMap: true }).v!;
          sets.push(`#a${a} = :a${a}`);
          a++;
        }
        for (const name of keyAttributes)
          if (!(name in key)) throw new TypeError(`dynamoDbSink: an item of batch ${info.batchId} lacks the key attribute ${JSON.stringify(name)}`);
        try {
          await client().send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: marshallItem(key),
              UpdateExpression: `SET ${sets.join(', ')}`,
              ConditionExpression: 'attribute_not_exists(#w) OR #w < :n',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
            }),
          );
        } catch (error) {
          // This batch (a re-run) or a newer one already wrote the key: nothing to do.
          if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return;
          throw error;
        }
      },
    );
  };
}

function marshallItem(item: Record<string, unknown>): Record<string, AttributeValue> {
  return marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true });
}
