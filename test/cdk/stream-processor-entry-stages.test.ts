import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, synthesize, type Synthesized } from './stream-processor-fixture';

const execFileAsync = promisify(execFile);

const ENTRY = fileURLToPath(new URL('./fixtures/word-count-global-entry.ts', import.meta.url));
const PIPELINE = fileURLToPath(new URL('../../examples/word-count-global.ts', import.meta.url));
const APP = 'word-count-global';
const FROM_ENTRY = { appName: APP, pipeline: undefined, processorEntry: ENTRY, exchangeShardCounts: [4, 1] };

// One bundled synth of the entry with its stage layout, shared by the tests that read it.
let entry: Synthesized;
beforeAll(() => {
  entry = synthesize(FROM_ENTRY, { bundle: true });
});

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: unknown }>;

function resourcesOf(s: Synthesized): Resources {
  return s.template.toJSON().Resources as Resources;
}

function environmentOf(s: Synthesized, stage: number): Record<string, unknown> {
  const fn = resourcesOf(s)[logicalIdOf(s.processor.stages[stage]!.processor.function)]!;
  return (fn.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
}

/** Stage `stage`'s processor bundle (its asset's index.mjs), loaded in a fresh Node with `env`, as Lambda's cold start loads it. */
async function coldStart(stage: number, env: Record<string, string>): Promise<string> {
  const fn = resourcesOf(entry)[logicalIdOf(entry.processor.stages[stage]!.processor.function)]!;
  const asset = String((fn.Metadata as Record<string, unknown>)['aws:asset:path']);
  const bundle = pathToFileURL(join((entry.stack.node.root as App).outdir, asset, 'index.mjs')).href;
  const { stdout } = await execFileAsync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `try { const m = await import(${JSON.stringify(bundle)}); process.stdout.write(typeof m.handler); } catch (e) { process.stdout.write(e.message); }`,
    ],
    { env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', APP_NAME: APP, PIPELINE: APP, TABLE_NAME: 'checkpoints', BUCKET_NAME: 'wal-bucket', ...env } },
  );
  return stdout;
}

describe('StreamProcessor of a processorEntry with exchangeShardCounts (the global word count: keyBy 4 partitions, then global)', () => {
  it('creates one exchange stream per shard count, with that many shards', () => {
    expect(entry.processor.exchangeStreams).toHaveLength(2);
    entry.template.resourceCountIs('AWS::Kinesis::Stream', 3);
    entry.template.hasResourceProperties('AWS::Kinesis::Stream', { Name: `sluice-${APP}.s1`, ShardCount: 4 });
    entry.template.hasResourceProperties('AWS::Kinesis::Stream', { Name: `sluice-${APP}.s2`, ShardCount: 1 });
  });

  it('runs one processor per stage, each mapped to its stream and told its stage, its exchanges and the layout', () => {
    expect(entry.processor.stages.map((s) => s.appName)).toEqual([APP, `${APP}.s1`, `${APP}.s2`]);
    entry.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    for (const stage of entry.processor.stages) {
      entry.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalIdOf(stage.processor.function) },
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stage.stream), 'Arn'] },
      });
    }
    const [source, keyed, global] = [entry.processor.stream, ...entry.processor.exchangeStreams].map((s) => ({ Ref: logicalIdOf(s) }));
    const common = { APP_NAME: APP, PIPELINE: APP, SLUICE_EXCHANGE_PARTITIONS: '4,1' };
    expect(environmentOf(entry, 0)).toMatchObject({ ...common, SLUICE_STAGE: '0', SLUICE_EXCHANGE_STREAM: keyed });
    expect(environmentOf(entry, 0)).not.toHaveProperty('SLUICE_EXCHANGE_ORIGINS_STREAM');
    expect(environmentOf(entry, 1)).toMatchObject({ ...common, SLUICE_STAGE: '1', SLUICE_EXCHANGE_STREAM: global, SLUICE_EXCHANGE_ORIGINS_STREAM: source });
    expect(environmentOf(entry, 2)).toMatchObject({ ...common, SLUICE_STAGE: '2', SLUICE_EXCHANGE_ORIGINS_STREAM: keyed });
    expect(environmentOf(entry, 2)).not.toHaveProperty('SLUICE_EXCHANGE_STREAM');
  });

  it('bundles the entry into every stage, whose handler starts as the stage its environment names', async () => {
    const stages: Array<Record<string, string>> = [
      { SLUICE_STAGE: '0', SLUICE_EXCHANGE_STREAM: 'keyed' },
      { SLUICE_STAGE: '1', SLUICE_EXCHANGE_STREAM: 'global', SLUICE_EXCHANGE_ORIGINS_STREAM: 'source' },
      { SLUICE_STAGE: '2', SLUICE_EXCHANGE_ORIGINS_STREAM: 'keyed' },
    ];
    const started = await Promise.all(stages.map((env, stage) => coldStart(stage, { ...env, SLUICE_EXCHANGE_PARTITIONS: '4,1' })));
    expect(started).toEqual(['function', 'function', 'function']);
    // The entry's own pipeline is in the bundle: another layout than its exchanges fails its cold start.
    expect(await coldStart(0, { ...stages[0]!, SLUICE_EXCHANGE_PARTITIONS: '4' })).toContain(
      'SLUICE_EXCHANGE_PARTITIONS="4": the stack deployed 1 exchange of [4] partitions (StreamProcessor exchangeShardCounts), but the pipeline "word-count-global" bundled into this function has 2 exchanges of [4, 1] partitions',
    );
  });

  it('builds what it builds for the pipeline module with those exchanges, and tells each function the layout besides', () => {
    const fromPipeline = synthesize({ appName: APP, pipeline: PIPELINE, exchangeShardCounts: [4, 1] });
    const fromEntry = synthesize(FROM_ENTRY);
    const comparable = (s: Synthesized, layout: boolean) => {
      const processors = new Set(s.processor.stages.map((stage) => logicalIdOf(stage.processor.function)));
      return Object.fromEntries(
        Object.entries(resourcesOf(s)).map(([id, { Type, Properties }]) => {
          if (Type !== 'AWS::Lambda::Function') return [id, { Type, Properties }];
          const { Code: _code, Environment, ...rest } = Properties as { Code: unknown; Environment: { Variables: Record<string, unknown> } };
          const { SLUICE_EXCHANGE_PARTITIONS: partitions, ...variables } = Environment.Variables;
          if (layout) expect(partitions).toBe(processors.has(id) ? '4,1' : undefined);
          else expect(partitions).toBeUndefined();
          return [id, { Type, Properties: { ...rest, Environment: { Variables: variables } } }];
        }),
      );
    };
    expect(comparable(fromEntry, true)).toEqual(comparable(fromPipeline, false));
  });

  it('refuses a shard count that is no partition count, naming it', () => {
    expect(() => synthesize({ ...FROM_ENTRY, exchangeShardCounts: [4, 0] })).toThrow('exchangeShardCounts[1]: must be an integer from 1 to 1024 (given 0)');
    expect(() => synthesize({ ...FROM_ENTRY, exchangeShardCounts: [2.5] })).toThrow('exchangeShardCounts[0]: must be an integer from 1 to 1024 (given 2.5)');
  });

  it('deploys an entry without exchangeShardCounts as before: one stage, no stage variables', () => {
    const single = synthesize({ ...FROM_ENTRY, exchangeShardCounts: undefined });
    expect(single.processor.stages).toHaveLength(1);
    single.template.resourceCountIs('AWS::Kinesis::Stream', 1);
    expect(Object.keys(environmentOf(single, 0)).filter((k) => k.startsWith('SLUICE_'))).toEqual([]);
  });
});
