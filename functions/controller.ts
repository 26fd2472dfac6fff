import { createLambdaControllerHandler } from '../lib/compose/create-lambda-controller-handler';

/**
 * The controller Lambda, started every minute by EventBridge: loops for about 55 s, publishing each
 * shard's rate in its control item, then retunes the event source mapping when the rates moved a
 * lot. Configured by the variables `createLambdaControllerHandler` names, checked here at cold start.
 */
export const handler = createLambdaControllerHandler();
