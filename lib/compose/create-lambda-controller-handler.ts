import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { createAwsClients, type AwsClients } from '../adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../adapters/aws/dynamodb-checkpoint-store';
import { SystemClock } from '../adapters/local/system-clock';
import type { Clock } from '../ports/clock';
import { loadControllerConfig } from '../runtime/controller/controller-config';
import { createControllerHandler, type ControllerRunSummary } from '../runtime/controller/create-controller-handler';
import { LambdaEventSourceMappings } from '../adapters/aws/lambda-event-source-mappings';
import { LambdaIdleTicker } from '../adapters/aws/lambda-idle-ticker';

/** What {@link createLambdaControllerHandler} builds the controller from; each default is what Lambda uses. */
export interface LambdaControllerDeps {
  /** Variables named in `loadControllerConfig`. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default createAwsClients() (honours AWS_ENDPOINT_URL) */
  readonly clients?: AwsClients;
  /** @default the system clock */
  readonly clock?: Clock;
  /** @default a Powertools Logger with the app as service name */
  readonly logger?: Logger;
}

/** The controller's Lambda handler. */
export type LambdaControllerHandler = (event: unknown, context: Context) => Promise<ControllerRunSummary>;

/**
 * Builds the controller Lambda from its environment (SLUICE_APP, SLUICE_TABLE_NAME,
 * SLUICE_CONTROL_INTERVAL_MS, SLUICE_BATCH_INTERVAL_MS, SLUICE_EVENT_SOURCE_MAPPING_ID,
 * SLUICE_PROCESSOR_FUNCTION_NAME, SLUICE_IDLE_TICK_AFTER_MS: the `StreamProcessor` construct sets
 * them). Started every minute by EventBridge, one invocation loops for about 55 s, publishing each
 * shard's rate in its control item and asking the processor for idle ticks, then retunes the event
 * source mapping when the rates moved a lot.
 *
 * Everything fallible happens here, at cold start: a bad variable fails the first invocation
 * with its name, before any rate is published.
 *
 * @example
 * // the controller entry the construct bundles
 * import { createLambdaControllerHandler } from 'sluice/lambda';
 * export const handler = createLambdaControllerHandler();
 */
export function createLambdaControllerHandler(deps: LambdaControllerDeps = {}): LambdaControllerHandler {
  const config = loadControllerConfig(deps.env ?? process.env);
  const logger = deps.logger ?? new Logger({ serviceName: config.app });
  const aws = deps.clients ?? createAwsClients();
  const run = createControllerHandler(config, {
    checkpoints: new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName: config.tableName }),
    mappings: new LambdaEventSourceMappings(aws.lambda),
    ...(config.processorFunctionName === undefined ? {} : { idleTicker: new LambdaIdleTicker(aws.lambda, config.processorFunctionName) }),
    clock: deps.clock ?? new SystemClock(),
    log: logger,
  });
  return async (event, context) => {
    logger.addContext(context);
    return run(event, context);
  };
}
