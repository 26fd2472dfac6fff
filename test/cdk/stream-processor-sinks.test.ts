import { AttributeType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { ProcessorSink } from '../../cdk/processor-sink';
import { actionsOn, actionsOnObjects, logicalIdOf, statementsOfRole, synthesize } from './stream-processor-fixture';

describe('StreamProcessor sinks', () => {
  it('grants each sink exactly the actions it calls, on its resource only, and names it in the environment', () => {
    // Prepare
    const made: Record<string, { node: never }> = {};
    const { template, processor } = synthesize((stack) => {
      const key = new Key(stack, 'QueueKey');
      const items = new Table(stack, 'Items', { partitionKey: { name: 'id', type: AttributeType.STRING } });
      const totals = new Table(stack, 'Totals', { partitionKey: { name: 'word', type: AttributeType.STRING }, encryption: TableEncryption.CUSTOMER_MANAGED });
      const bucket = new Bucket(stack, 'Export');
      const out = new Stream(stack, 'Out');
      const queue = new Queue(stack, 'Queue', { encryption: QueueEncryption.KMS, encryptionMasterKey: key });
      Object.assign(made, { items, totals, bucket, out, queue, key, totalsKey: totals.encryptionKey });
      return {
        sinks: [
          ProcessorSink.dynamoDb(items, { environmentVariable: 'ITEMS_TABLE' }),
          ProcessorSink.dynamoDb(totals, { mode: 'upsert' }),
          ProcessorSink.s3(bucket, { prefix: 'exports/', environmentVariable: 'EXPORT_BUCKET' }),
          ProcessorSink.kinesis(out),
          ProcessorSink.sqs(queue, { environmentVariable: 'QUEUE_URL' }),
        ],
      };
    });
    const statements = statementsOfRole(template, logicalIdOf(processor.processor.role));
    const id = (name: string) => logicalIdOf(made[name] as never);
    // Assess
    expect(actionsOn(statements, id('items'))).toEqual(['dynamodb:BatchWriteItem']);
    expect(actionsOn(statements, id('totals'))).toEqual(['dynamodb:UpdateItem']);
    expect(actionsOn(statements, id('totalsKey'))).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(actionsOn(statements, id('bucket'))).toEqual(['s3:PutObject']);
    expect(actionsOnObjects(statements, id('bucket'), '/exports/word-count/*')).toEqual(['s3:PutObject']);
    expect(actionsOn(statements, id('out'))).toEqual(['kinesis:PutRecords']);
    expect(actionsOn(statements, id('queue'))).toEqual(['sqs:SendMessage']);
    expect(actionsOn(statements, id('key'))).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f).includes('ITEMS_TABLE')) as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    expect(fn.Properties.Environment.Variables.ITEMS_TABLE).toEqual({ Ref: id('items') });
    expect(fn.Properties.Environment.Variables.EXPORT_BUCKET).toEqual({ Ref: id('bucket') });
    expect(fn.Properties.Environment.Variables.QUEUE_URL).toEqual({ Ref: id('queue') });
  });

  it('grants nothing for sinks when none is passed', () => {
    const { template, processor } = synthesize();
    const actions = statementsOfRole(template, logicalIdOf(processor.processor.role)).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => ['dynamodb:BatchWriteItem', 'dynamodb:UpdateItem', 'kinesis:PutRecords', 'sqs:SendMessage'].includes(a))).toEqual([]);
  });
});
