import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { TransactWrite, WriteCondition } from '../../ports/checkpoint-store';

/**
 * Maps the port's writes to `TransactWriteItems` entries, index for index, so a cancellation
 * reason at position i describes `writes[i]`.
 *
 * Every conditional entry asks for `ALL_OLD` on failure: DynamoDB then returns the item it found
 * (free of read capacity), which is where a `FencedError` gets the version that beat us.
 */
export function toTransactItems(tableName: string, writes: readonly TransactWrite[]): TransactWriteItem[] {
  return writes.map((write): TransactWriteItem => {
    switch (write.kind) {
      case 'put':
        return {
          Put: {
            TableName: tableName,
            Item: {
              pk: { S: write.item.pk },
              sk: { S: write.item.sk },
              version: { N: String(write.item.version) },
              data: { S: write.item.data },
            },
            ...optionalCondition(write.condition),
          },
        };
      case 'delete':
        return { Delete: { TableName: tableName, Key: keyOf(write.pk, write.sk), ...optionalCondition(write.condition) } };
      case 'check':
        return { ConditionCheck: { TableName: tableName, Key: keyOf(write.pk, write.sk), ...conditionOf(write.condition) } };
    }
  });
}

interface ConditionFields {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, { N: string }>;
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD';
}

function optionalCondition(condition: WriteCondition | undefined): ConditionFields | Record<string, never> {
  return condition === undefined ? {} : conditionOf(condition);
}

function keyOf(pk: string, sk: string): { pk: { S: string }; sk: { S: string } } {
  return { pk: { S: pk }, sk: { S: sk } };
}

/**
 * `attribute_not_exists(pk)` holds only when no item has this key; `#version = :version` is false
 * for a missing item, so a version condition also requires existence. `version` goes through a
 * placeholder to stay clear of DynamoDB's reserved words.
 */
function conditionOf(condition: WriteCondition): ConditionFields {
  if ('absent' in condition) {
    return { ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' };
  }
  return {
    ConditionExpression: '#version = :version',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':version': { N: String(condition.version) } },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}
