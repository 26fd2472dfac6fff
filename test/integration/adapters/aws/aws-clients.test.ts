import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, inject, it } from 'vitest';
import { createAwsClients } from '../../../../lib/adapters/aws/aws-clients';
import { S3ObjectStore } from '../../../../lib/adapters/aws/s3-object-store';
import { uniqueName } from '../../../helpers/moto';

const endpoint = inject('awsEndpoint');
const credentials = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

describe('createAwsClients', () => {
  it('reaches every service through AWS_ENDPOINT_URL, in us-east-1 when no region is set', async () => {
    // Prepare
    const aws = createAwsClients({}, { ...credentials, AWS_ENDPOINT_URL: endpoint });
    // Act
    const answers = await Promise.all([
      aws.dynamodb.send(new ListTablesCommand({})),
      aws.kinesis.send(new ListStreamsCommand({})),
      aws.lambda.send(new ListFunctionsCommand({})),
    ]);
    // Assess
    expect(answers.map((a) => a.$metadata.httpStatusCode)).toEqual([200, 200, 200]);
    expect(await aws.kinesis.config.endpoint?.()).toMatchObject({ port: Number(new URL(endpoint).port) });
    expect(await aws.s3.config.region()).toBe('us-east-1');
    aws.destroy();
  });

  it('prefers the endpoint and region options over the environment', async () => {
    // Prepare
    const aws = createAwsClients({ endpoint, region: 'eu-west-1' }, { ...credentials, AWS_ENDPOINT_URL: 'http://localhost:1', AWS_REGION: 'us-west-2' });
    // Act
    const tables = await aws.dynamodb.send(new ListTablesCommand({}));
    // Assess
    expect(tables.$metadata.httpStatusCode).toBe(200);
    expect(await aws.dynamodb.config.endpoint?.()).toMatchObject({ port: Number(new URL(endpoint).port) });
    expect(await aws.dynamodb.config.region()).toBe('eu-west-1');
    aws.destroy();
  });

  it('speaks HTTP/1.1 to Kinesis and retries in standard mode', async () => {
    // Act
    const aws = createAwsClients({ endpoint });
    // Assess
    expect(aws.kinesis.config.requestHandler).toBeInstanceOf(NodeHttpHandler);
    expect(await aws.kinesis.config.retryStrategy()).toMatchObject({ mode: 'standard' });
    aws.destroy();
  });

  it('addresses S3 path-style when an endpoint is given, so buckets need no DNS name', async () => {
    // Prepare
    const aws = createAwsClients({ endpoint, region: 'us-east-1' }, credentials);
    const bucket = uniqueName('sluice-path-style');
    await S3ObjectStore.createBucket(aws.s3, bucket);
    // Act
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
    const body = await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))).Body?.transformToString();
    // Assess
    expect(await aws.s3.config.forcePathStyle).toBe(true);
    expect(body).toBe('v');
    await aws.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    aws.destroy();
  });
});
