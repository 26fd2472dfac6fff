import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Duration, type App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { StreamMode, Stream } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, synthesize, type Synthesized } from './stream-processor-fixture';

const execFileAsync = promisify(execFile);

// One synthesized stack with the defaults, bundled, shared by every test that reads it.
let base: Synthesized;
beforeAll(() => {
  base = synthesize({}, { bundle: true });
});

describe('StreamProcessor', () => {
  describe('stream', () => {
    it('encrypts a new stream with the AWS managed Kinesis key', () => {
      base.template.hasResourceProperties('AWS::Kinesis::Stream', { StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' } });
    });

    it('names a new stream sluice-<app> by default, as the CLI expects', () => {
      base.template.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'sluice-word-count' });
    });

    it('creates a provisioned stream with one shard by default', () => {
      base.template.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 1, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    });

    it('creates an on-demand stream without a shard count when streamMode is ON_DEMAND', () => {
      // Prepare / Act
      const { template } = synthesize({ streamMode: StreamMode.ON_DEMAND });
      // Assess
      template.hasResourceProperties('AWS::Kinesis::Stream', { StreamModeDetails: { StreamMode: 'ON_DEMAND' }, ShardCount: Match.absent() });
    });

    it('reads an imported stream and creates none', () => {
      // Prepare
      const arn = 'arn:aws:kinesis:us-east-1:123456789012:stream/events';
      // Act
      const { template } = synthesize((stack) => ({ stream: Stream.fromStreamArn(stack, 'Imported', arn) }));
      // Assess
      template.resourceCountIs('AWS::Kinesis::Stream', 0);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: arn });
    });
  });

  describe('table', () => {
    it('keys items by pk (S, hash) and sk (S, range), as DynamoDbCheckpointStore expects', () => {
      base.template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
      });
    });

    it('names the table sluice-<app> by default, where sluice push and status look', () => {
      base.template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'sluice-word-count' });
    });

    it('names the table tableName when given', () => {
      // Prepare / Act
      const { template } = synthesize({ tableName: 'word-count-staging' });
      // Assess
      template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'word-count-staging' });
    });

    it('bills on demand', () => {
      base.template.hasResourceProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST' });
    });

    it('enables point-in-time recovery', () => {
      base.template.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    });

    it('encrypts with KMS', () => {
      base.template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true } });
    });

    it('retains the table when the stack is deleted, by default', () => {
      base.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });
  });

  describe('bucket', () => {
    it('encrypts objects at rest', () => {
      base.template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      });
    });

    it('blocks all public access', () => {
      base.template.hasResourceProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
    });

    it('denies every request that does not use TLS', () => {
      base.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalIdOf(base.processor.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('expires wal/ objects after walRetentionDays (7 by default)', () => {
      base.template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'wal/', ExpirationInDays: 7, Status: 'Enabled' })] },
      });
    });

    it('keeps no expiry of noncurrent versions when the bucket is unversioned', () => {
      base.template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: Match.absent() })] },
      });
    });

    it('also expires noncurrent wal/ versions after walRetentionDays when versioned', () => {
      // Prepare / Act
      const { template } = synthesize({ bucketVersioned: true, walRetentionDays: 30 });
      // Assess
      template.hasResourceProperties('AWS::S3::Bucket', {
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'wal/', ExpirationInDays: 30, NoncurrentVersionExpiration: { NoncurrentDays: 30 } })] },
      });
    });
  });

  describe('processor', () => {
    it.each([
      [
        'processor',
        () => base.processor.processor.function,
        { APP_NAME: 'word-count', PIPELINE: 'word-count', TABLE_NAME: 'checkpoints', BUCKET_NAME: 'wal-bucket' },
      ],
      ['controller', () => base.processor.controller.function, { SLUICE_APP: 'word-count', SLUICE_TABLE_NAME: 'checkpoints' }],
    ] as const)('bundles the %s into an ES module whose handler loads in Node', async (_name, fn, env) => {
      // Prepare
      const asset = String(propertiesOf(base, fn(), 'Metadata')['aws:asset:path']);
      const bundle = pathToFileURL(join(assemblyDir(base), asset, 'index.mjs')).href;
      // Act: a fresh Node, as Lambda's runtime would load it (cold start included).
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(bundle)}); process.stdout.write(typeof m.handler);`],
        {
          env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...env },
        },
      );
      // Assess
      expect(stdout).toBe('function');
    });

    it('tells the processor its app, table and bucket through the environment', () => {
      // Prepare / Act
      const { Environment } = propertiesOf(base, base.processor.processor.function) as { Environment: { Variables: Record<string, unknown> } };
      // Assess
      expect(Environment.Variables).toMatchObject({
        APP_NAME: 'word-count',
        PIPELINE: 'word-count',
        TABLE_NAME: { Ref: logicalIdOf(base.processor.table) },
        BUCKET_NAME: { Ref: logicalIdOf(base.processor.bucket) },
        WAL_ENABLED: 'true',
        BATCHING_WINDOW_SECONDS: '1',
        POWERTOOLS_METRICS_NAMESPACE: 'sluice',
      });
    });
  });

  describe('eventSource', () => {
    it('reports batch item failures', () => {
      base.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    });

    it('keeps one batch in flight per shard (parallelization factor 1)', () => {
      base.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ParallelizationFactor: 1 });
    });

    it('bisects a failing batch', () => {
      base.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BisectBatchOnFunctionError: true });
    });

    it('retries a failing batch until it succeeds by default, since rate deferrals count as retries', () => {
      base.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumRetryAttempts: -1 });
    });

    it('bounds retries at retryAttempts when given', () => {
      // Prepare / Act
      const { template } = synthesize({ retryAttempts: 10 });
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumRetryAttempts: 10 });
    });

    it('sends a batch that exhausted its retries to the bucket', () => {
      base.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(base.processor.bucket), 'Arn'] } } },
      });
    });

    it('starts at TRIM_HORIZON by default', () => {
      base.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { StartingPosition: 'TRIM_HORIZON' });
    });

    it('starts at the startingPosition given', () => {
      // Prepare / Act
      const { template } = synthesize({ startingPosition: StartingPosition.LATEST });
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { StartingPosition: 'LATEST' });
    });

    it('gathers records for one batch interval (1 s by default) and a shard’s full second of records', () => {
      base.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumBatchingWindowInSeconds: 1, BatchSize: 1_000 });
    });

    it('sizes batches as maxRatePerShard × batchInterval', () => {
      // Prepare / Act
      const { template } = synthesize({ maxRatePerShard: 300, batchInterval: Duration.seconds(5) });
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumBatchingWindowInSeconds: 5, BatchSize: 1_500 });
    });

    it('caps the batch size at the mapping’s 10,000 records', () => {
      // Prepare / Act
      const { template } = synthesize({ maxRatePerShard: 5_000, batchInterval: Duration.seconds(10) });
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10_000 });
    });
  });

  describe('controller', () => {
    it('is started by an EventBridge schedule every minute', () => {
      base.template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf(base.processor.controller.function), 'Arn'] } })],
      });
    });

    it('is told the UUID of the mapping it retunes', () => {
      // Prepare
      const [mappingId] = Object.keys(base.template.findResources('AWS::Lambda::EventSourceMapping'));
      // Act
      const { Environment } = propertiesOf(base, base.processor.controller.function) as { Environment: { Variables: Record<string, unknown> } };
      // Assess
      expect(Environment.Variables).toMatchObject({ SLUICE_EVENT_SOURCE_MAPPING_ID: { Ref: mappingId } });
    });

    it('is told the processor function to tick and after how long a shard is quiet (1 minute by default)', () => {
      // Act
      const { Environment } = propertiesOf(base, base.processor.controller.function) as { Environment: { Variables: Record<string, unknown> } };
      // Assess
      expect(Environment.Variables).toMatchObject({
        SLUICE_PROCESSOR_FUNCTION_NAME: { Ref: logicalIdOf(base.processor.processor.function) },
        SLUICE_IDLE_TICK_AFTER_MS: '60000',
      });
    });

    it('is told no processor function when idle ticks are off', () => {
      // Prepare
      const off = synthesize({ idleTicks: false });
      // Act
      const { Environment } = propertiesOf(off, off.processor.controller.function) as { Environment: { Variables: Record<string, unknown> } };
      // Assess
      expect(Environment.Variables).not.toHaveProperty('SLUICE_PROCESSOR_FUNCTION_NAME');
    });
  });
});

/** The cloud assembly directory the stack was synthesized into. */
function assemblyDir(synthesized: Synthesized): string {
  return (synthesized.stack.node.root as App).outdir;
}

/** The `Properties` (or another section) of `construct`'s resource in the template. */
function propertiesOf(synthesized: Synthesized, construct: IConstruct, section: 'Properties' | 'Metadata' = 'Properties'): Record<string, unknown> {
  const resources = synthesized.template.toJSON().Resources as Record<string, Record<string, Record<string, unknown>>>;
  return resources[logicalIdOf(construct)]![section]!;
}
