import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { createAwsClients } from '../lib/adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../lib/adapters/aws/dynamodb-checkpoint-store';
import { SystemClock } from '../lib/adapters/local/system-clock';
import { loadControllerConfig } from '../lib/runtime/controller/controller-config';
import { createControllerHandler, type ControllerRunSummary } from '../lib/runtime/controller/create-controller-handler';
import { LambdaEventSourceMappings } from '../lib/runtime/controller/lambda-event-source-mappings';
import { LambdaIdleTicker } from '../lib/runtime/controller/lambda-idle-ticker';

// Cold start: a bad variable fails here, naming it, before any invocation runs.
const config = loadControllerConfig(process.env);
const logger = new Logger({ serviceName: config.app });
const aws = createAwsClients();
const run = createControllerHandler(config, {
  checkpoints: new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName: config.tableName }),
  mappings: new LambdaEventSourceMappings(aws.lambda),
  ...(config.processorFunctionName === undefined ? {} : { idleTicker: new LambdaIdleTicker(aws.lambda, config.processorFunctionName) }),
  clock: new SystemClock(),
  log: logger,
});

/**
 * The controller Lambda, started every minute by EventBridge: loops for about 55 s, publishing each
 * shard's rate in its control item, then retunes the event source mapping when the rates moved a
 * lot. Configured by SLUICE_APP, SLUICE_TABLE_NAME, SLUICE_CONTROL_INTERVAL_MS,
 * SLUICE_BATCH_INTERVAL_MS, SLUICE_EVENT_SOURCE_MAPPING_ID, SLUICE_PROCESSOR_FUNCTION_NAME (idle ticks),
 * SLUICE_IDLE_TICK_AFTER_MS and the optional estimator variables (see `loadControllerConfig`).
 */
export async function handler(event: unknown, context: Context): Promise<ControllerRunSummary> {
  logger.addContext(context);
  return run(event, context);
}
