import {
  CreateTableCommand,
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  waitUntilTableExists,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CorruptDataError, SluiceError } from '../../core/errors';
import { MAX_TRANSACT_ITEMS, type CheckpointStore, type StoredItem, type TransactWrite } from '../../ports/checkpoint-store';
import { translateDynamoDbError } from './dynamodb-errors';
import { toTransactItems } from './dynamodb-transact-items';

/** Options of {@link DynamoDbCheckpointStore}. */
export interface DynamoDbCheckpointStoreOptions {
  /** A client the caller owns (see `createAwsClients`); the store never destroys it. */
  readonly client: DynamoDBClient;
  /** Table with `pk` (S, hash key) and `sk` (S, range key), e.g. from {@link DynamoDbCheckpointStore.createTable}. */
  readonly tableName: string;
}

/** Longest the table may take to become ACTIVE after CreateTable. */
const TABLE_ACTIVE_TIMEOUT_SECONDS = 300;

/**
 * The checkpoint store on a DynamoDB table: items `{pk, sk, version: N, data: S}`.
 *
 * Reads are strongly consistent, and a commit is ONE `TransactWriteItems` whose conditions fence
 * stale writers: a zombie invocation's commit is cancelled as a whole, never half-applied.
 *
 * @example
 * const aws = createAwsClients();
 * await DynamoDbCheckpointStore.createTable(aws.dynamodb, 'sluice-checkpoints');
 * const store = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName: 'sluice-checkpoints' });
 */
export class DynamoDbCheckpointStore implements CheckpointStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;

  constructor(options: DynamoDbCheckpointStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
  }

  /**
   * Creates the table (on-demand capacity) and waits until it is ACTIVE. Idempotent: an existing
   * table is only waited for, so `sluice dev` and tests may call it on every start.
   */
  static async createTable(client: DynamoDBClient, tableName: string): Promise<void> {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceInUseException')) throw error;
    }
    await waitUntilTableExists({ client, maxWaitTime: TABLE_ACTIVE_TIMEOUT_SECONDS, minDelay: 1 }, { TableName: tableName });
  }

  async get(pk: string, sk: string): Promise<StoredItem | undefined> {
    try {
      const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
      return Item === undefined ? undefined : this.decode(Item);
    } catch (error) {
      throw translateDynamoDbError(error);
    }
  }

  async query(pk: string, skPrefix?: string): Promise<StoredItem[]> {
    const hasPrefix = skPrefix !== undefined && skPrefix !== '';
    const items: StoredItem[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    try {
      // DynamoDB returns at most 1 MB per page: follow LastEvaluatedKey to the end.
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            ConsistentRead: true,
            KeyConditionExpression: hasPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: pk }, ...(hasPrefix ? { ':prefix': { S: skPrefix } } : {}) },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) items.push(this.decode(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
    } catch (error) {
      throw translateDynamoDbError(error);
    }
    return items;
  }

  async transact(writes: readonly TransactWrite[]): Promise<void> {
    if (writes.length === 0) return;
    if (writes.length > MAX_TRANSACT_ITEMS) {
      throw new SluiceError(`a transaction holds at most ${MAX_TRANSACT_ITEMS} writes (DynamoDB TransactWriteItems), got ${writes.length}`);
    }
    try {
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: toTransactItems(this.tableName, writes) }));
    } catch (error) {
      throw translateDynamoDbError(error, writes);
    }
  }

  private decode(item: Record<string, AttributeValue>): StoredItem {
    const { pk, sk, version, data } = item;
    if (pk?.S === undefined || sk?.S === undefined || version?.N === undefined || data?.S === undefined) {
      throw new CorruptDataError(`${this.tableName}/${pk?.S}/${sk?.S}`, 'checkpoint item lacks pk, sk, version (N) or data (S)');
    }
    return { pk: pk.S, sk: sk.S, version: Number(version.N), data: data.S };
  }
}
