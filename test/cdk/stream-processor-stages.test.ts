import { Match } from 'aws-cdk-lib/assertions';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, actionsOnObjects, logicalIdOf, statementsOfRole, synthesize, type Synthesized } from './stream-processor-fixture';

const TOP_K_GLOBAL = fileURLToPath(new URL('../../examples/top-k-global.ts', import.meta.url));
const STAGED = { appName: 'top-k-global', pipeline: TOP_K_GLOBAL };

let staged: Synthesized;
beforeAll(() => {
  staged = synthesize(STAGED);
});

/** The environment variables of `fn`'s function, as synthesized. */
function environmentOf(s: Synthesized, index: number): Record<string, unknown> {
  const id = logicalIdOf(s.processor.stages[index]!.processor.function);
  const fn = s.template.toJSON().Resources[id] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
  return fn.Properties.Environment.Variables;
}

describe('StreamProcessor of a pipeline with exchanges (top-k-global: keyBy 4 partitions, then global)', () => {
  it('creates one exchange stream per exchange, with one shard per partition', () => {
    expect(staged.processor.exchangeStreams).toHaveLength(2);
    staged.template.resourceCountIs('AWS::Kinesis::Stream', 3);
    staged.template.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'sluice-top-k-global.s1', ShardCount: 4 });
    staged.template.hasResourceProperties('AWS::Kinesis::Stream', { Name: 'sluice-top-k-global.s2', ShardCount: 1 });
  });

  it('runs one processor and one event source mapping per stage, each reading its stream', () => {
    expect(staged.processor.stages.map((s) => s.appName)).toEqual(['top-k-global', 'top-k-global.s1', 'top-k-global.s2']);
    staged.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    for (const stage of staged.processor.stages) {
      staged.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalIdOf(stage.processor.function) },
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stage.stream), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ParallelizationFactor: 1,
      });
    }
    staged.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(staged.processor.exchangeStreams[0]!), 'Arn'] },
      StartingPosition: 'TRIM_HORIZON',
    });
  });

  it('tells each function its stage, the stream it sends to and the stream whose shards are its origins', () => {
    const [source, keyed, global] = [staged.processor.stream, ...staged.processor.exchangeStreams].map((s) => ({ Ref: logicalIdOf(s) }));
    expect(environmentOf(staged, 0)).toMatchObject({ APP_NAME: 'top-k-global', SLUICE_STAGE: '0', SLUICE_EXCHANGE_STREAM: keyed });
    expect(environmentOf(staged, 0)).not.toHaveProperty('SLUICE_EXCHANGE_ORIGINS_STREAM');
    expect(environmentOf(staged, 1)).toMatchObject({
      APP_NAME: 'top-k-global',
      SLUICE_STAGE: '1',
      SLUICE_EXCHANGE_STREAM: global,
      SLUICE_EXCHANGE_ORIGINS_STREAM: source,
    });
    expect(environmentOf(staged, 2)).toMatchObject({ APP_NAME: 'top-k-global', SLUICE_STAGE: '2', SLUICE_EXCHANGE_ORIGINS_STREAM: keyed });
    expect(environmentOf(staged, 2)).not.toHaveProperty('SLUICE_EXCHANGE_STREAM');
  });

  it('grants each stage exactly what it calls: put and list on the stream it sends to, list on its origins, its own objects', () => {
    const [source, keyed, global] = [staged.processor.stream, ...staged.processor.exchangeStreams].map((s) => logicalIdOf(s));
    const bucket = logicalIdOf(staged.processor.bucket);
    const read = [
      'kinesis:DescribeStream',
      'kinesis:DescribeStreamConsumer',
      'kinesis:DescribeStreamSummary',
      'kinesis:GetRecords',
      'kinesis:GetShardIterator',
      'kinesis:ListShards',
      'kinesis:ListStreams',
      'kinesis:SubscribeToShard',
    ];
    const roles = staged.processor.stages.map((s) => statementsOfRole(staged.template, logicalIdOf(s.processor.role)));
    const kinesisOn = (r: number, id: string) => [...new Set(actionsOn(roles[r]!, id).filter((a) => a.startsWith('kinesis:')))].sort();
    expect(kinesisOn(0, source!)).toEqual(read);
    expect(kinesisOn(0, keyed!)).toEqual(['kinesis:ListShards', 'kinesis:PutRecords']);
    expect(kinesisOn(0, global!)).toEqual([]);
    expect(kinesisOn(1, source!)).toEqual(['kinesis:ListShards']);
    expect(kinesisOn(1, keyed!)).toEqual(read);
    expect(kinesisOn(1, global!)).toEqual(['kinesis:ListShards', 'kinesis:PutRecords']);
    expect(kinesisOn(2, source!)).toEqual([]);
    expect(kinesisOn(2, keyed!)).toEqual(['kinesis:ListShards']);
    expect(kinesisOn(2, global!)).toEqual(read);
    expect(actionsOnObjects(roles[1]!, bucket, '/wal/top-k-global.s1/*')).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(actionsOnObjects(roles[1]!, bucket, '/state/top-k-global.s1/*')).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    expect(actionsOnObjects(roles[1]!, bucket, '/wal/top-k-global/*')).toEqual([]);
    expect(actionsOnObjects(roles[0]!, bucket, '/wal/top-k-global.s1/*')).toEqual([]);
  });

  it('runs one controller per stage on its own mapping; only stage 0 gets idle ticks and the static rate', () => {
    expect(staged.processor.controllers).toHaveLength(3);
    staged.template.resourceCountIs('AWS::Events::Rule', 3);
    for (const [i, controller] of staged.processor.controllers.entries()) {
      const fn = staged.template.toJSON().Resources[logicalIdOf(controller.function)] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      };
      const env = fn.Properties.Environment.Variables;
      expect(env).toMatchObject({ SLUICE_APP: 'top-k-global', SLUICE_STAGE: String(i) });
      expect(env.SLUICE_EVENT_SOURCE_MAPPING_ID).toEqual(staged.stack.resolve(staged.processor.stages[i]!.eventSource.eventSourceMappingId));
      if (i === 0) expect(env).toHaveProperty('SLUICE_PROCESSOR_FUNCTION_NAME');
      else expect(env).not.toHaveProperty('SLUICE_PROCESSOR_FUNCTION_NAME');
      const statements = statementsOfRole(staged.template, logicalIdOf(controller.role));
      const invokes = statements.flatMap((st) => [st.Action].flat()).filter((a) => a === 'lambda:InvokeFunction');
      expect(invokes).toHaveLength(i === 0 ? 1 : 0);
    }
  });

  it('accepts shard counts equal to the partitions, and refuses a mismatch naming both', () => {
    expect(synthesize({ ...STAGED, exchangeShardCounts: [4, 1] }).processor.exchangeStreams).toHaveLength(2);
    expect(() => synthesize({ ...STAGED, exchangeShardCounts: [8, 1] })).toThrow(
      'exchangeShardCounts[0]: is 8, but exchange 0 has 4 partitions (keyBy({ partitions })): an exchange stream has one shard per partition',
    );
    expect(() => synthesize({ ...STAGED, exchangeShardCounts: [4] })).toThrow('exchangeShardCounts: gives 1 shard counts, but the pipeline has 2 exchanges');
  });

  it('keeps a pipeline without exchanges as it was: one processor, no stage variables, no exchange stream', () => {
    const single = synthesize();
    expect(single.processor.stages).toHaveLength(1);
    expect(single.processor.exchangeStreams).toEqual([]);
    single.template.resourceCountIs('AWS::Kinesis::Stream', 1);
    single.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ APP_NAME: 'word-count' }) },
    });
    expect(Object.keys(environmentOf(single, 0)).filter((k) => k.startsWith('SLUICE_'))).toEqual([]);
  });
});
