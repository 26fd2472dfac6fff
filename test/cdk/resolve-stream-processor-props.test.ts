import { join } from 'node:path';
import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { Stream, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { describe, expect, it } from 'vitest';
import { resolveStreamProcessorProps } from '../../cdk/resolve-stream-processor-props';
import { StreamProcessor } from '../../cdk/stream-processor';
import type { StreamProcessorProps } from '../../cdk/stream-processor-props';
import { ConfigError } from '../../lib/core/errors';
import { WORD_COUNT_PIPELINE } from '../../cdk/word-count-stack';
import { WORD_COUNT_PROPS } from './stream-processor-fixture';

describe('resolveStreamProcessorProps', () => {
  it.each([
    ['appName is not a pipeline name', { appName: 'Word Count' }, /appName: must be 1-40 lowercase letters, digits or '-'.*\(given "Word Count"\)/],
    ['streamName has a space', { streamName: 'my events' }, /^streamName: must be 1-128 letters, digits, '_', '-' or '\.' \(given "my events"\)$/],
    ['tableName is too short', { tableName: 'ab' }, /^tableName: must be 3-255 letters, digits, '_', '-' or '\.' \(given "ab"\)$/],
    ['shardCount is 0', { shardCount: 0 }, rangeMessage('shardCount', 'an integer', 1, 500, '0')],
    ['shardCount is not whole', { shardCount: 1.5 }, rangeMessage('shardCount', 'an integer', 1, 500, '1.5')],
    [
      'shardCount is given for an on-demand stream',
      { streamMode: StreamMode.ON_DEMAND, shardCount: 2 },
      /shardCount: is not allowed with an on-demand stream \(given 2\)/,
    ],
    ['streamRetention is under 24 hours', { streamRetention: Duration.hours(12) }, rangeMessage('streamRetention (hours)', 'an integer', 24, 8760, '12')],
    ['batchInterval is over 300 seconds', { batchInterval: Duration.seconds(301) }, rangeMessage('batchInterval (seconds)', 'an integer', 0, 300, '301')],
    ['batchInterval is not whole seconds', { batchInterval: Duration.millis(1_500) }, rangeMessage('batchInterval (seconds)', 'an integer', 0, 300, '1.5')],
    ['maxRatePerShard is 0', { maxRatePerShard: 0 }, rangeMessage('maxRatePerShard', 'a number', 1, 10000, '0')],
    ['walRetentionDays is 0', { walRetentionDays: 0 }, rangeMessage('walRetentionDays', 'an integer', 1, 3650, '0')],
    ['retryAttempts is over 10000', { retryAttempts: 10_001 }, rangeMessage('retryAttempts', 'an integer', -1, 10000, '10001')],
    ['processorMemorySize is under 128 MiB', { processorMemorySize: 64 }, rangeMessage('processorMemorySize', 'an integer', 128, 10240, '64')],
    ['processorTimeout is over 15 minutes', { processorTimeout: Duration.minutes(16) }, rangeMessage('processorTimeout (seconds)', 'a number', 1, 900, '960')],
    ['controlInterval is over 55 seconds', { controlInterval: Duration.minutes(1) }, rangeMessage('controlInterval (seconds)', 'an integer', 1, 55, '60')],
    [
      'idleTickAfter is within 10 seconds of the batch interval',
      { batchInterval: Duration.seconds(30), idleTickAfter: Duration.seconds(35) },
      rangeMessage('idleTickAfter (seconds)', 'an integer', 40, 3600, '35'),
    ],
    ['idleTickAfter is over an hour', { idleTickAfter: Duration.hours(2) }, rangeMessage('idleTickAfter (seconds)', 'an integer', 11, 3600, '7200')],
    [
      'iteratorAgeAlarmThreshold is under a second',
      { iteratorAgeAlarmThreshold: Duration.millis(500) },
      rangeMessage('iteratorAgeAlarmThreshold (seconds)', 'a number', 1, 604800, '0.5'),
    ],
  ] as Array<[string, Partial<StreamProcessorProps>, RegExp]>)('rejects when %s', (_case, overrides, message) => {
    expect(() => resolveStreamProcessorProps({ ...WORD_COUNT_PROPS, ...overrides })).toThrow(message);
  });

  it.each(['streamName', 'streamMode', 'shardCount', 'streamRetention'] as const)('rejects %s with a given stream', (field) => {
    // Prepare
    const stack = new Stack();
    const values = { streamName: 'events', streamMode: StreamMode.PROVISIONED, shardCount: 2, streamRetention: Duration.hours(48) };
    const props = { ...WORD_COUNT_PROPS, stream: new Stream(stack, 'Given'), [field]: values[field] };
    // Act / Assess
    expect(() => resolveStreamProcessorProps(props)).toThrow(`${field}: configures a new stream and is not allowed with an imported \`stream\``);
  });

  it('applies the documented defaults', () => {
    // Act
    const resolved = resolveStreamProcessorProps(WORD_COUNT_PROPS);
    // Assess
    expect({
      streamName: resolved.streamName,
      tableName: resolved.tableName,
      streamMode: resolved.streamMode,
      shardCount: resolved.shardCount,
      streamRetentionHours: resolved.streamRetention.toHours(),
      startingPosition: resolved.startingPosition,
      processorCode: resolved.processorCode,
      depsLockFilePath: resolved.depsLockFilePath,
      batchIntervalMs: resolved.batchInterval.toMilliseconds(),
      batchSize: resolved.batchSize,
      walEnabled: resolved.walEnabled,
      walRetentionDays: resolved.walRetentionDays,
      bucketVersioned: resolved.bucketVersioned,
      retryAttempts: resolved.retryAttempts,
      processorMemorySize: resolved.processorMemorySize,
      processorTimeoutSeconds: resolved.processorTimeout.toSeconds(),
      controlIntervalSeconds: resolved.controlInterval.toSeconds(),
      iteratorAgeAlarmMinutes: resolved.iteratorAgeAlarmThreshold.toMinutes(),
      removalPolicy: resolved.removalPolicy,
    }).toEqual({
      streamName: 'sluice-word-count',
      tableName: 'sluice-word-count',
      streamMode: 'PROVISIONED',
      shardCount: 1,
      streamRetentionHours: 24,
      startingPosition: 'TRIM_HORIZON',
      processorCode: { kind: 'pipeline', path: WORD_COUNT_PIPELINE },
      depsLockFilePath: undefined,
      batchIntervalMs: 1_000,
      batchSize: 1_000,
      walEnabled: true,
      walRetentionDays: 7,
      bucketVersioned: false,
      retryAttempts: -1,
      processorMemorySize: 1_024,
      processorTimeoutSeconds: 60,
      controlIntervalSeconds: 5,
      iteratorAgeAlarmMinutes: 5,
      removalPolicy: 'retain',
    });
  });

  describe('the processor code', () => {
    it('resolves a relative pipeline path against the current directory, as NodejsFunction resolves entry', () => {
      // Act
      const resolved = resolveStreamProcessorProps({ appName: 'word-count', pipeline: 'examples/word-count.ts' });
      // Assess
      expect(resolved.processorCode).toEqual({ kind: 'pipeline', path: join(process.cwd(), 'examples/word-count.ts') });
    });

    it("takes an entry of the user's own instead of the pipeline", () => {
      // Act
      const resolved = resolveStreamProcessorProps({ appName: 'word-count', processorEntry: 'functions/processor.ts' });
      // Assess
      expect(resolved.processorCode).toEqual({ kind: 'entry', path: join(process.cwd(), 'functions/processor.ts') });
    });

    it.each([
      [
        'neither pipeline nor processorEntry is given',
        { appName: 'word-count' },
        "pipeline: is required: the path of your pipeline module, relative to the folder cdk runs in (e.g. pipeline: 'src/pipeline.ts')",
      ],
      [
        'both are given',
        { appName: 'word-count', pipeline: 'examples/word-count.ts', processorEntry: 'functions/processor.ts' },
        'processorEntry: is not allowed with `pipeline`: give your pipeline module, or an entry of your own that exports `handler`, not both',
      ],
      [
        'the pipeline file does not exist',
        { appName: 'word-count', pipeline: 'src/missing.ts' },
        `pipeline: no such file: src/missing.ts (resolved against ${process.cwd()}); give the path of your pipeline module (export default pipeline(...)) relative to the folder cdk runs in`,
      ],
      [
        'the lock file does not exist',
        { ...WORD_COUNT_PROPS, depsLockFilePath: 'missing.lock' },
        `depsLockFilePath: no such file: missing.lock (resolved against ${process.cwd()}); give the path of your lock file (package-lock.json, yarn.lock, pnpm-lock.yaml) relative to the folder cdk runs in`,
      ],
    ] as Array<[string, StreamProcessorProps, string]>)('rejects when %s, in one line naming the prop', (_case, props, message) => {
      const error = (() => {
        try {
          resolveStreamProcessorProps(props);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe(message);
    });
  });

  it('gives a zero batch interval one second’s allowance', () => {
    expect(resolveStreamProcessorProps({ ...WORD_COUNT_PROPS, maxRatePerShard: 200, batchInterval: Duration.seconds(0) }).batchSize).toBe(200);
  });
});

describe('StreamProcessor', () => {
  describe('constructor', () => {
    it('rejects invalid props with a ConfigError before it creates any resource', () => {
      // Prepare
      const stack = new Stack(new App(), 'Test');
      // Act
      const build = () => new StreamProcessor(stack, 'WordCount', { ...WORD_COUNT_PROPS, walRetentionDays: -1 });
      // Assess
      expect(build).toThrow(ConfigError);
      expect(stack.node.findAll().filter((construct) => CfnResource.isCfnResource(construct))).toEqual([]);
    });
  });
});

/** A message that names the field, its kind and bounds, and the value given, whatever the wording between. */
function rangeMessage(field: string, kind: string, min: number, max: number, given: string): RegExp {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const bound = (n: number): string => `(?<![\\d.])${escape(String(n))}(?![\\d.])`;
  return new RegExp(`^${escape(field)}: must be ${kind}\\b.*${bound(min)}.*${bound(max)}.* \\(given ${escape(given)}\\)$`);
}
