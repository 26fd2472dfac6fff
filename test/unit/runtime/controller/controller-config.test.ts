import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { loadControllerConfig } from '../../../../lib/runtime/controller/controller-config';

const REQUIRED = { SLUICE_APP: 'word-count', SLUICE_TABLE_NAME: 'sluice-checkpoints' };

describe('loadControllerConfig', () => {
  it('applies the defaults to the two required variables', () => {
    // Act
    const config = loadControllerConfig(REQUIRED);
    // Assess
    expect(config).toEqual({
      app: 'word-count',
      tableName: 'sluice-checkpoints',
      controlIntervalMs: 5_000,
      loopBudgetMs: 55_000,
      estimator: {
        kind: 'sluice',
        batchIntervalMs: 1_000,
        proportional: undefined,
        integral: undefined,
        derivative: undefined,
        minRate: undefined,
        maxRate: undefined,
      },
      batchingWindowSeconds: 1,
      eventSourceMappingId: undefined,
      esmMinUpdateIntervalMs: 600_000,
      esmChangeFactor: 2,
      processorFunctionName: undefined,
      idleTickAfterMs: 60_000,
    });
  });

  it('reads every variable, counting empty ones as unset', () => {
    // Act
    const config = loadControllerConfig({
      ...REQUIRED,
      SLUICE_CONTROL_INTERVAL_MS: '10000',
      SLUICE_BATCH_INTERVAL_MS: '2000',
      SLUICE_RATE_ESTIMATOR: 'pid',
      SLUICE_MAX_RATE_PER_SHARD: '',
      SLUICE_PID_PROPORTIONAL: '0.8',
      SLUICE_PID_MIN_RATE: '50',
      SLUICE_EVENT_SOURCE_MAPPING_ID: '644be1fb-e633-4cbe-9785-29cc55b693ce',
      SLUICE_ESM_MIN_UPDATE_INTERVAL_SECONDS: '300',
      SLUICE_ESM_CHANGE_FACTOR: '3',
      SLUICE_PROCESSOR_FUNCTION_NAME: 'Test-WordCountProcessor-AbC123',
      SLUICE_IDLE_TICK_AFTER_MS: '90000',
    });
    // Assess
    expect(config).toMatchObject({
      controlIntervalMs: 10_000,
      batchingWindowSeconds: 2,
      estimator: { kind: 'pid', batchIntervalMs: 2_000, proportional: 0.8, minRate: 50, maxRate: undefined },
      eventSourceMappingId: '644be1fb-e633-4cbe-9785-29cc55b693ce',
      esmMinUpdateIntervalMs: 300_000,
      esmChangeFactor: 3,
      processorFunctionName: 'Test-WordCountProcessor-AbC123',
      idleTickAfterMs: 90_000,
    });
  });

  it('controls the shards of the stage app a pipeline with exchanges names', () => {
    expect(loadControllerConfig({ ...REQUIRED, SLUICE_STAGE: '2' }).app).toBe('word-count.s2');
    expect(loadControllerConfig({ ...REQUIRED, SLUICE_STAGE: '0' }).app).toBe('word-count');
  });

  it.each([
    [{ SLUICE_APP: undefined }, 'SLUICE_APP is not set: required, the app whose shards to control'],
    [{ SLUICE_TABLE_NAME: '' }, 'SLUICE_TABLE_NAME is not set: required, the DynamoDB checkpoint table'],
    [{ SLUICE_CONTROL_INTERVAL_MS: '500' }, 'SLUICE_CONTROL_INTERVAL_MS="500": must be whole milliseconds from 1000 to 55000'],
    [{ SLUICE_CONTROL_INTERVAL_MS: 'five' }, 'SLUICE_CONTROL_INTERVAL_MS="five": must be whole milliseconds from 1000 to 55000'],
    [{ SLUICE_RATE_ESTIMATOR: 'spark' }, 'SLUICE_RATE_ESTIMATOR="spark": must be "sluice" or "pid"'],
    [{ SLUICE_MAX_RATE_PER_SHARD: '-5' }, 'SLUICE_MAX_RATE_PER_SHARD="-5": must be a number of records per second > 0'],
    [{ SLUICE_EVENT_SOURCE_MAPPING_ID: 'arn:aws:lambda:x' }, 'SLUICE_EVENT_SOURCE_MAPPING_ID="arn:aws:lambda:x": must be the mapping UUID'],
    [{ SLUICE_ESM_CHANGE_FACTOR: '1' }, 'SLUICE_ESM_CHANGE_FACTOR="1": must be a number > 1'],
    [{ SLUICE_PROCESSOR_FUNCTION_NAME: 'my function' }, 'SLUICE_PROCESSOR_FUNCTION_NAME="my function": must be a Lambda function name or ARN'],
    [{ SLUICE_IDLE_TICK_AFTER_MS: '500' }, 'SLUICE_IDLE_TICK_AFTER_MS="500": must be whole milliseconds from 1000 to 3600000'],
    [{ SLUICE_STAGE: 'first' }, 'SLUICE_STAGE="first": must be a whole stage index from 0 to 99'],
  ])('rejects %j, naming the variable, the value and the rule', (env, message) => {
    // Act
    const load = () => loadControllerConfig({ ...REQUIRED, ...env });
    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it('reports every bad variable at once', () => {
    // Act
    const load = () => loadControllerConfig({ SLUICE_BATCH_INTERVAL_MS: '-1' });
    // Assess
    expect(load).toThrow(/SLUICE_APP is not set.*; SLUICE_TABLE_NAME is not set.*; SLUICE_BATCH_INTERVAL_MS="-1"/);
  });

  it("takes Spark's one second as the PID's interval when the mapping has no batching window", () => {
    // Act
    const config = loadControllerConfig({ ...REQUIRED, SLUICE_BATCH_INTERVAL_MS: '0' });
    // Assess
    expect(config.estimator.batchIntervalMs).toBe(1_000);
    expect(config.batchingWindowSeconds).toBe(0);
  });

  it('rejects a minimum rate above the maximum at cold start', () => {
    // Act
    const load = () => loadControllerConfig({ ...REQUIRED, SLUICE_PID_MIN_RATE: '500', SLUICE_MAX_RATE_PER_SHARD: '200' });
    // Assess
    expect(load).toThrow(/rateController\.maxRate: must be a number ≥ 500 \(given 200\)/);
  });
});
