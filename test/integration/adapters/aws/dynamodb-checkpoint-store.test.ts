import {
  DeleteTableCommand,
  DescribeTableCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbCheckpointStore } from '../../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { CorruptDataError, FencedError, SluiceError, ThrottledError } from '../../../../lib/core/errors';
import type { StoredItem, TransactWrite } from '../../../../lib/ports/checkpoint-store';
import { describeCheckpointStoreContract } from '../../../helpers/checkpoint-store-contract';
import { createTestAwsClients, uniqueName } from '../../../helpers/moto';
import { interceptSend, namesOf } from './intercept-send';

const aws = createTestAwsClients(inject('awsEndpoint'));
const tableName = uniqueName('sluice-checkpoints');
let tableReady: Promise<void> | undefined;

/** One table for the file: each contract case writes under its own partition key. */
async function sharedStore(client = aws.dynamodb): Promise<DynamoDbCheckpointStore> {
  await (tableReady ??= DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName));
  return new DynamoDbCheckpointStore({ client, tableName });
}

afterAll(async () => {
  if (tableReady) await aws.dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  aws.destroy();
});

describeCheckpointStoreContract('DynamoDbCheckpointStore (contract, moto)', async () => ({ store: await sharedStore() }));

describe('DynamoDbCheckpointStore', () => {
  const item = (pk: string, sk: string, version: number, data = `${sk} v${version}`): StoredItem => ({ pk, sk, version, data });

  describe('createTable', () => {
    it('creates an ACTIVE on-demand table keyed by pk and sk, and accepts it existing', async () => {
      // Prepare
      const name = uniqueName('sluice-create');
      // Act
      await DynamoDbCheckpointStore.createTable(aws.dynamodb, name);
      await DynamoDbCheckpointStore.createTable(aws.dynamodb, name);
      // Assess
      const { Table } = await aws.dynamodb.send(new DescribeTableCommand({ TableName: name }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      await aws.dynamodb.send(new DeleteTableCommand({ TableName: name }));
    });
  });

  describe('transact', () => {
    it('fences a stale writer in one TransactWriteItems: nothing of its commit lands, the winning version is reported', async () => {
      // Prepare: two invocations read checkpoint v1; the first commits v2.
      const pk = uniqueName('shard');
      const store = await sharedStore();
      await store.transact([
        { kind: 'put', item: item(pk, 'checkpoint', 1) },
        { kind: 'put', item: item(pk, 'bucket#07', 1) },
      ]);
      const commit = (writer: string): TransactWrite[] => [
        { kind: 'put', item: item(pk, 'checkpoint', 2, `committed by ${writer}`), condition: { version: 1 } },
        { kind: 'put', item: item(pk, 'bucket#07', 2, `state of ${writer}`), condition: { version: 1 } },
        { kind: 'put', item: item(pk, `out#${writer}`, 2), condition: { absent: true } },
      ];
      await store.transact(commit('first'));
      const sent = interceptSend(aws.dynamodb);
      // Act
      const error = await store.transact(commit('zombie')).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Assess
      expect(namesOf(sent)).toEqual(['TransactWriteItemsCommand']);
      expect(error).toBeInstanceOf(FencedError);
      expect((error as FencedError).retryable).toBe(false);
      expect((error as FencedError).reasons).toEqual([
        { index: 0, pk, sk: 'checkpoint', actualVersion: 2 },
        { index: 1, pk, sk: 'bucket#07', actualVersion: 2 },
      ]);
      expect((error as FencedError).cause).toBeInstanceOf(TransactionCanceledException);
      expect(await store.query(pk)).toEqual([
        item(pk, 'bucket#07', 2, 'state of first'),
        item(pk, 'checkpoint', 2, 'committed by first'),
        item(pk, 'out#first', 2),
      ]);
    });

    it('rejects a conflict-cancelled transaction as a retryable ThrottledError', async () => {
      // Prepare: moto never reports TransactionConflict, so answer the call the way DynamoDB does.
      const client = createTestAwsClients(inject('awsEndpoint')).dynamodb;
      const store = await sharedStore(client);
      const pk = uniqueName('shard');
      interceptSend(client, async () => {
        throw new TransactionCanceledException({
          message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
          $metadata: { httpStatusCode: 400 },
          CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
        });
      });
      // Act
      const commit = store.transact([
        { kind: 'put', item: item(pk, 'a', 1) },
        { kind: 'put', item: item(pk, 'b', 1) },
      ]);
      // Assess
      await expect(commit).rejects.toSatisfy((e) => e instanceof ThrottledError && e.retryable);
      client.destroy();
    });

    it('rethrows a validation error unchanged (two writes to one item)', async () => {
      // Prepare
      const store = await sharedStore();
      const pk = uniqueName('shard');
      // Act
      const error = await store
        .transact([
          { kind: 'put', item: item(pk, 'checkpoint', 1) },
          { kind: 'delete', pk, sk: 'checkpoint' },
        ])
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      // Assess
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(SluiceError);
      expect((error as Error).name).toBe('ValidationException');
    });
  });

  describe('get', () => {
    it('rejects throttling that outlasted the SDK retries as a ThrottledError', async () => {
      // Prepare
      const client = createTestAwsClients(inject('awsEndpoint')).dynamodb;
      const store = await sharedStore(client);
      interceptSend(client, async () => {
        throw new ProvisionedThroughputExceededException({
          message: 'The level of configured provisioned throughput for the table was exceeded',
          $metadata: {},
        });
      });
      // Act
      const read = store.get('any', 'checkpoint');
      // Assess
      await expect(read).rejects.toBeInstanceOf(ThrottledError);
      client.destroy();
    });

    it('fails when a stored item lacks its version', async () => {
      // Prepare
      const store = await sharedStore();
      const pk = uniqueName('shard');
      await aws.dynamodb.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: pk }, sk: { S: 'checkpoint' }, data: { S: '{}' } } }));
      // Act
      const read = store.get(pk, 'checkpoint');
      // Assess
      await expect(read).rejects.toBeInstanceOf(CorruptDataError);
    });
  });

  describe('query', () => {
    it('follows LastEvaluatedKey past the 1 MB page limit and returns every item in order', async () => {
      // Prepare: 5 items of ~300 KB need at least two pages.
      const client = createTestAwsClients(inject('awsEndpoint')).dynamodb;
      const store = await sharedStore(client);
      const pk = uniqueName('shard');
      const written = [0, 1, 2, 3, 4].map((i) => item(pk, `bucket#${i}`, 1, String(i).repeat(300_000)));
      await store.transact(written.map((it) => ({ kind: 'put', item: it })));
      const sent = interceptSend(client);
      // Act
      const items = await store.query(pk, 'bucket#');
      // Assess
      expect(namesOf(sent).length).toBeGreaterThan(1);
      expect(items).toEqual(written);
      client.destroy();
    });
  });
});
