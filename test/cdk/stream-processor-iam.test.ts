import type { Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Stream, StreamEncryption } from 'aws-cdk-lib/aws-kinesis';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, actionsOnObjects, logicalIdOf, statementsOfRole, synthesize, type Statement, type Synthesized } from './stream-processor-fixture';

let base: Synthesized;
let processor: Statement[];
let controller: Statement[];
let ids: { table: string; bucket: string; stream: string };
beforeAll(() => {
  base = synthesize();
  processor = statementsOfRole(base.template, logicalIdOf(base.processor.processor.role));
  controller = statementsOfRole(base.template, logicalIdOf(base.processor.controller.role));
  ids = { table: logicalIdOf(base.processor.table), bucket: logicalIdOf(base.processor.bucket), stream: logicalIdOf(base.processor.stream) };
});

describe('StreamProcessor', () => {
  describe('least privilege', () => {
    it('grants no wildcard action in any policy', () => {
      // Prepare
      const policies = Object.values(base.template.findResources('AWS::IAM::Policy')) as Array<{ Properties: { PolicyDocument: { Statement: Statement[] } } }>;
      // Act
      const actions = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement.flatMap((statement) => [statement.Action].flat()));
      // Assess
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    });

    it('attaches no managed policy to the functions’ roles', () => {
      // Prepare / Act
      const roles = Object.values(base.template.findResources('AWS::IAM::Role')) as Array<{ Properties: Record<string, unknown> }>;
      // Assess
      expect(roles.length).toBe(2);
      expect(roles.filter((role) => 'ManagedPolicyArns' in role.Properties)).toEqual([]);
    });

    it('lets the processor read checkpoints and commit its transaction on the table, nothing more', () => {
      expect(actionsOn(processor, ids.table)).toEqual(['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    });

    it('lets the processor list the bucket and do nothing else to the bucket itself', () => {
      // Prepare / Act
      const onBucket = processor.filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': [ids.bucket, 'Arn'] }));
      // Assess
      expect(onBucket.flatMap((statement) => [statement.Action].flat())).toEqual(['s3:ListBucket']);
    });

    it('lets the processor read and create only its own WAL objects', () => {
      expect(actionsOnObjects(processor, ids.bucket, '/wal/word-count/*')).toEqual(['s3:GetObject', 's3:PutObject']);
    });

    it('lets the processor read and create only its own quarantine objects', () => {
      expect(actionsOnObjects(processor, ids.bucket, '/quarantine/word-count/*')).toEqual(['s3:GetObject', 's3:PutObject']);
    });

    it('lets the processor read, create and delete only its own state objects', () => {
      expect(actionsOnObjects(processor, ids.bucket, '/state/word-count/*')).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    });

    it('lets Lambda write failed batches under aws/lambda/ with the processor’s role', () => {
      expect(actionsOnObjects(processor, ids.bucket, '/aws/lambda/*')).toEqual(['s3:PutObject']);
    });

    it('gives the processor no bucket access beyond those prefixes', () => {
      // Prepare
      const bucketStatements = processor.filter((statement) => JSON.stringify(statement.Resource).includes(`"${ids.bucket}"`));
      // Act
      const resources = bucketStatements.flatMap((statement) => [statement.Resource].flat()).map((resource) => JSON.stringify(resource));
      // Assess
      expect(resources.filter((resource) => resource.includes('"/*"'))).toEqual([]);
    });

    it('lets the processor read the stream, as the mapping needs, and write nothing to it', () => {
      // Prepare / Act
      const actions = actionsOn(processor, ids.stream);
      // Assess
      expect(actions).toEqual(expect.arrayContaining(['kinesis:DescribeStream', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards']));
      expect(actions.filter((action) => action.startsWith('kinesis:Put'))).toEqual([]);
    });

    it('gives the processor no Lambda, CloudWatch or KMS action on a stream encrypted with the AWS managed key', () => {
      expect(processor.flatMap((statement) => [statement.Action].flat()).filter((action) => /^(lambda|cloudwatch|kms):/.test(action))).toEqual([]);
    });

    it('lets the processor decrypt the customer managed key of a stream it is given', () => {
      // Prepare
      let key: Key | undefined;
      const given = (stack: Stack) => {
        key = new Key(stack, 'StreamKey');
        return { stream: new Stream(stack, 'Existing', { encryption: StreamEncryption.KMS, encryptionKey: key }) };
      };
      // Act
      const { template, processor: construct } = synthesize(given);
      // Assess
      expect(actionsOn(statementsOfRole(template, logicalIdOf(construct.processor.role)), logicalIdOf(key!))).toEqual(['kms:Decrypt']);
    });

    it('lets the controller read stats and write rates on the table, nothing more', () => {
      expect(actionsOn(controller, ids.table)).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    });

    it('lets the controller read and retune only its own event source mapping', () => {
      // Prepare
      const [mappingId] = Object.keys(base.template.findResources('AWS::Lambda::EventSourceMapping'));
      // Act
      const actions = actionsOn(controller, mappingId!);
      // Assess
      expect(actions).toEqual(['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping']);
    });

    it('lets the controller invoke only the processor function, for idle ticks, without a wildcard', () => {
      // Prepare
      const processorId = logicalIdOf(base.processor.processor.function);
      // Act
      const invokes = controller.filter((statement) => [statement.Action].flat().includes('lambda:InvokeFunction'));
      // Assess
      expect(invokes.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [processorId, 'Arn'] }]);
    });

    it('gives the controller no invoke permission when idle ticks are off', () => {
      // Prepare
      const { template, processor } = synthesize({ idleTicks: false });
      // Act
      const statements = statementsOfRole(template, logicalIdOf(processor.controller.role));
      // Assess
      expect(statements.flatMap((statement) => [statement.Action].flat())).not.toContain('lambda:InvokeFunction');
    });

    it('gives the controller no S3, Kinesis or CloudWatch action', () => {
      expect(controller.flatMap((statement) => [statement.Action].flat()).filter((action) => /^(s3|kinesis|cloudwatch):/.test(action))).toEqual([]);
    });
  });
});
