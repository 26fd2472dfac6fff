import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { S3ObjectStore } from '../../../lib/adapters/aws/s3-object-store';
import { csvOf } from '../../../lib/adapters/aws/sinks/s3-sink';
import type { BatchInfo } from '../../../lib/core/pipeline/op-spec';
import { ConfigError } from '../../../lib/core/errors';
import { dynamoDbSink, s3Sink, sqsSink, watermarkAttribute } from '../../../lib/sinks';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';

const aws = createTestAwsClients(inject('awsEndpoint'));
const table = uniqueName('sink-upsert');
const bucket = uniqueName('sink-csv');

beforeAll(async () => {
  await Promise.all([
    aws.dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    ),
    S3ObjectStore.createBucket(aws.s3, bucket),
  ]);
});

afterAll(() => aws.destroy());

const batch = (batchNo: number, shardId = 'shardId-000000000000'): BatchInfo => ({
  app: 'a',
  shardId,
  batchNo,
  batchTimeMs: 0,
  batchId: `a/${shardId}/${batchNo}`,
});

describe('dynamoDbSink upsert', () => {
  it('never lets an older batch overwrite a newer one, and keeps one watermark per shard', async () => {
    const sink = dynamoDbSink<[string, number]>({ tableName: table, client: aws.dynamodb, mode: 'upsert', item: ([pk, total]) => ({ pk, total }) });
    await sink([['k', 5]], batch(5));
    await sink([['k', 4]], batch(4)); // a zombie's older batch
    await sink([['k', 5]], batch(5)); // a re-run
    const read = async () => unmarshall((await aws.dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'k' } } }))).Item!);
    expect(await read()).toMatchObject({ total: 5, [watermarkAttribute('shardId-000000000000')]: 5 });
    await sink([['k', 9]], batch(2, 'shardId-000000000001'));
    await sink([['k', 6]], batch(6));
    expect(await read()).toEqual({ pk: 'k', total: 6, [watermarkAttribute('shardId-000000000000')]: 6, [watermarkAttribute('shardId-000000000001')]: 2 });
  });
});

describe('s3Sink', () => {
  it('writes CSV, one object per window, create-only', async () => {
    const sink = s3Sink<{ startMs: number; endMs: number; value: Array<[string, number]> }>({
      bucket,
      client: aws.s3,
      format: 'csv',
      columns: ['word', 'count'],
      perWindow: true,
    });
    const windows = [
      {
        startMs: 0,
        endMs: 1000,
        value: [
          ['a,b', 1],
          ['say "hi"', 2],
        ] as Array<[string, number]>,
      },
      { startMs: 1000, endMs: 2000, value: [['c', 3]] as Array<[string, number]> },
    ];
    await sink(windows, batch(7));
    await sink([{ startMs: 0, endMs: 1000, value: [['changed', 0]] }], batch(7)); // a re-run never overwrites
    const { Contents } = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/' }));
    expect((Contents ?? []).map((o) => o.Key)).toEqual([
      'a/shardId-000000000000/00000000000000000007-w0-1000.csv',
      'a/shardId-000000000000/00000000000000000007-w1000-2000.csv',
    ]);
    const { Body } = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/shardId-000000000000/00000000000000000007-w0-1000.csv' }));
    expect(await Body!.transformToString()).toBe('word,count\r\n"a,b",1\r\n"say ""hi""",2\r\n');
  });

  it('quotes CSV fields by RFC 4180 and reads objects by column name', () => {
    expect(csvOf([{ a: 'x\ny', b: null }, { a: 1 }], ['a', 'b'])).toBe('a,b\r\n"x\ny",\r\n1,\r\n');
  });
});

describe('sink options', () => {
  it('refuses bad options when the pipeline is built, naming the option', () => {
    expect(() => s3Sink({ bucket, format: 'csv' })).toThrow(ConfigError);
    expect(() => s3Sink({ bucket, format: 'csv' })).toThrow(/s3Sink\.columns/);
    expect(() => dynamoDbSink({ tableName: '' })).toThrow(/dynamoDbSink\.tableName/);
    expect(() => sqsSink({ queueUrl: 'orders' })).toThrow(/sqsSink\.queueUrl/);
  });
});
