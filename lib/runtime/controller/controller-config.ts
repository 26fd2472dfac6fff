import { z } from 'zod';
import { DEFAULT_BATCH_INTERVAL_MS } from '../../core/defaults';
import { ConfigError } from '../../core/errors';
import { INITIAL_PID_STATE } from '../../core/rate/pid-state';
import { RATE_ESTIMATOR_KINDS } from './control-item';
import { createRateEstimator, type EstimatorConfig } from './create-rate-estimator';
import { blank, envProblems } from '../lambda/env-problems';
import { ControllerEnvironment as E } from '../lambda/function-environment';
import { APP_NAME_RULE, isAppName } from '../../core/app-name';
import { stageApp } from '../../core/engine/compile-stages';

/** The controller function's configuration, read from its environment once per container. */
export interface ControllerConfig {
  /** The app whose shards it controls: `{SLUICE_APP}.s{SLUICE_STAGE}` past stage 0. */
  readonly app: string;
  readonly tableName: string;
  /** Time between two samples of a shard within one invocation. */
  readonly controlIntervalMs: number;
  /** Longest an invocation loops; EventBridge starts the next one a minute after this one. */
  readonly loopBudgetMs: number;
  readonly estimator: EstimatorConfig;
  /** The mapping's batching window as deployed (the batch interval in whole seconds, possibly 0). */
  readonly batchingWindowSeconds: number;
  /** The processor's event source mapping to retune; `undefined` = leave it alone. */
  readonly eventSourceMappingId: string | undefined;
  /** Fewest milliseconds between two changes of the mapping. */
  readonly esmMinUpdateIntervalMs: number;
  /** How far the desired BatchSize must be from the current one before the mapping is changed. */
  readonly esmChangeFactor: number;
  /** The processor function to send idle ticks to; `undefined` = no idle ticks. */
  readonly processorFunctionName: string | undefined;
  /** How long a shard commits nothing before it counts as quiet and may be ticked (docs/decisions/0007). */
  readonly idleTickAfterMs: number;
}

/**
 * Fewest seconds between two mapping updates: an update takes up to 90 s to act, so anything
 * shorter would stack updates on one another; ten minutes lets the rate settle between two.
 */
export const DEFAULT_ESM_MIN_UPDATE_INTERVAL_SECONDS = 600;
/** A BatchSize within 2× of the desired one is good enough: the token bucket does the fine control. */
export const DEFAULT_ESM_CHANGE_FACTOR = 2;
/** Five seconds: a dozen samples per scheduled minute, each covering several 1 s batches. */
export const DEFAULT_CONTROL_INTERVAL_MS = 5_000;
/**
 * A shard that committed nothing for a minute is quiet: far longer than a record waits for its
 * delivery (the largest batching window is 5 minutes; the construct checks the pair).
 */
export const DEFAULT_IDLE_TICK_AFTER_MS = 60_000;
/** EventBridge fires every 60 s; 55 s of loop leaves the gap for the next cold start. */
export const DEFAULT_LOOP_BUDGET_MS = 55_000;

const count = (min: number, max: number, rule: string) => z.preprocess(blank, z.coerce.number({ error: rule }).int(rule).min(min, rule).max(max, rule));
const positive = (rule: string) => z.preprocess(blank, z.coerce.number({ error: rule }).positive(rule).finite(rule).optional());
const gain = (rule: string) => z.preprocess(blank, z.coerce.number({ error: rule }).min(0, rule).finite(rule).optional());

const schema = z.object({
  [E.APP]: z.preprocess(blank, z.string({ error: 'is required: the app whose shards to control' }).refine(isAppName, APP_NAME_RULE)),
  [E.STAGE]: count(0, 99, 'must be a whole stage index from 0 to 99').default(0),
  [E.TABLE_NAME]: z.preprocess(
    blank,
    z
      .string({ error: 'is required: the DynamoDB checkpoint table' })
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name: 3-255 letters, digits, "_", "-" or "."'),
  ),
  [E.CONTROL_INTERVAL_MS]: count(1_000, 55_000, 'must be whole milliseconds from 1000 to 55000').default(DEFAULT_CONTROL_INTERVAL_MS),
  [E.LOOP_BUDGET_MS]: count(1_000, 840_000, 'must be whole milliseconds from 1000 to 840000').default(DEFAULT_LOOP_BUDGET_MS),
  [E.BATCH_INTERVAL_MS]: count(0, 300_000, "must be whole milliseconds from 0 to 300000 (the mapping's largest window)").default(DEFAULT_BATCH_INTERVAL_MS),
  [E.RATE_ESTIMATOR]: z.preprocess(blank, z.enum(RATE_ESTIMATOR_KINDS, { error: 'must be "sluice" or "pid"' }).default('sluice')),
  [E.MAX_RATE_PER_SHARD]: positive('must be a number of records per second > 0'),
  [E.PID_PROPORTIONAL]: gain('must be a number >= 0'),
  [E.PID_INTEGRAL]: gain('must be a number >= 0'),
  [E.PID_DERIVATIVE]: gain('must be a number >= 0'),
  [E.PID_MIN_RATE]: positive('must be a number of records per second > 0'),
  [E.EVENT_SOURCE_MAPPING_ID]: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[0-9a-f-]{36}$/i, 'must be the mapping UUID')
      .optional(),
  ),
  [E.ESM_MIN_UPDATE_INTERVAL_SECONDS]: count(60, 86_400, 'must be whole seconds from 60 to 86400').default(DEFAULT_ESM_MIN_UPDATE_INTERVAL_SECONDS),
  [E.PROCESSOR_FUNCTION_NAME]: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[A-Za-z0-9_:.-]{1,140}$/, 'must be a Lambda function name or ARN')
      .optional(),
  ),
  [E.IDLE_TICK_AFTER_MS]: count(1_000, 3_600_000, 'must be whole milliseconds from 1000 to 3600000').default(DEFAULT_IDLE_TICK_AFTER_MS),
  [E.ESM_CHANGE_FACTOR]: z.preprocess(
    blank,
    z.coerce.number({ error: 'must be a number > 1' }).gt(1, 'must be a number > 1').finite('must be a number > 1').default(DEFAULT_ESM_CHANGE_FACTOR),
  ),
});

/**
 * Reads and checks the controller's environment (names from {@link ControllerEnvironment}). Every
 * problem is reported at once in one `ConfigError`, each naming the variable, the value and the rule.
 */
export function loadControllerConfig(env: Readonly<Record<string, string | undefined>>): ControllerConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError('environment', envProblems(parsed.error.issues, env).join('; '));
  }
  const d = parsed.data;
  const estimator: EstimatorConfig = {
    kind: d.SLUICE_RATE_ESTIMATOR,
    // A mapping without a batching window has no interval of its own: the processors then pace on
    // Spark's usual second, and the PID must shed backlogs over the same period.
    batchIntervalMs: d.SLUICE_BATCH_INTERVAL_MS > 0 ? d.SLUICE_BATCH_INTERVAL_MS : DEFAULT_BATCH_INTERVAL_MS,
    proportional: d.SLUICE_PID_PROPORTIONAL,
    integral: d.SLUICE_PID_INTEGRAL,
    derivative: d.SLUICE_PID_DERIVATIVE,
    minRate: d.SLUICE_PID_MIN_RATE,
    maxRate: d.SLUICE_MAX_RATE_PER_SHARD,
  };
  // Cross-field rules (minRate ≤ maxRate) are the estimator's own: build one now, not at the first tick.
  createRateEstimator(estimator, INITIAL_PID_STATE);
  return {
    app: stageApp(d.SLUICE_APP, d.SLUICE_STAGE),
    tableName: d.SLUICE_TABLE_NAME,
    controlIntervalMs: d.SLUICE_CONTROL_INTERVAL_MS,
    loopBudgetMs: d.SLUICE_CONTROLLER_BUDGET_MS,
    estimator,
    batchingWindowSeconds: Math.round(d.SLUICE_BATCH_INTERVAL_MS / 1000),
    eventSourceMappingId: d.SLUICE_EVENT_SOURCE_MAPPING_ID,
    esmMinUpdateIntervalMs: d.SLUICE_ESM_MIN_UPDATE_INTERVAL_SECONDS * 1000,
    esmChangeFactor: d.SLUICE_ESM_CHANGE_FACTOR,
    processorFunctionName: d.SLUICE_PROCESSOR_FUNCTION_NAME,
    idleTickAfterMs: d.SLUICE_IDLE_TICK_AFTER_MS,
  };
}
