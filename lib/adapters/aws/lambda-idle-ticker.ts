import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { idleTickEvent } from '../../core/idle-tick-event';

const ENCODER = new TextEncoder();

/**
 * Asks the processor function for an idle tick of one shard with an asynchronous `Invoke` (`Event`):
 * the controller does not wait for the tick, and Lambda retries a failed one twice. A tick that
 * races a batch of the event source mapping is fenced like any concurrent invocation of the shard.
 */
export class LambdaIdleTicker {
  readonly #client: LambdaClient;
  readonly #functionName: string;

  constructor(client: LambdaClient, functionName: string) {
    this.#client = client;
    this.#functionName = functionName;
  }

  async request(shardId: string, idleAtMs: number): Promise<void> {
    await this.#client.send(
      new InvokeCommand({
        FunctionName: this.#functionName,
        InvocationType: 'Event',
        Payload: ENCODER.encode(JSON.stringify(idleTickEvent(shardId, idleAtMs))),
      }),
    );
  }
}
