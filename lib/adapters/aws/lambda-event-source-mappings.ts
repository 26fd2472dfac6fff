import { GetEventSourceMappingCommand, UpdateEventSourceMappingCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { SluiceError, ThrottledError } from '../../core/errors';
import type { EsmSnapshot, EsmTuning, EventSourceMappings } from '../../ports/event-source-mappings';

/** Lambda's answers that mean "slow down". */
const THROTTLE_ERRORS = new Set(['TooManyRequestsException', 'ThrottlingException']);

/**
 * {@link EventSourceMappings} on the Lambda API (GetEventSourceMapping, UpdateEventSourceMapping).
 *
 * Throttles become a retryable `ThrottledError`; a `ResourceInUseException` (an update already in
 * flight) a retryable `SluiceError`, since the next controller run may try again. Anything else is
 * rethrown unchanged.
 */
export class LambdaEventSourceMappings implements EventSourceMappings {
  readonly #client: LambdaClient;

  constructor(client: LambdaClient) {
    this.#client = client;
  }

  async get(uuid: string): Promise<EsmSnapshot> {
    const out = await this.#client.send(new GetEventSourceMappingCommand({ UUID: uuid })).catch((error: unknown) => {
      throw translate(error);
    });
    return {
      state: out.State ?? 'Unknown',
      // Lambda leaves out settings at their defaults (BatchSize 100, window 0 for Kinesis).
      batchSize: out.BatchSize ?? 100,
      maximumBatchingWindowInSeconds: out.MaximumBatchingWindowInSeconds ?? 0,
      lastModifiedMs: out.LastModified?.getTime(),
      ...(out.EventSourceArn === undefined ? {} : { eventSourceArn: out.EventSourceArn }),
    };
  }

  async update(uuid: string, tuning: EsmTuning): Promise<void> {
    await this.#client
      .send(
        new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: tuning.batchSize, MaximumBatchingWindowInSeconds: tuning.maximumBatchingWindowInSeconds }),
      )
      .catch((error: unknown) => {
        throw translate(error);
      });
  }
}

function translate(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (THROTTLE_ERRORS.has(error.name)) return new ThrottledError(`Lambda ${error.name}: ${error.message}`, { cause: error });
  if (error.name === 'ResourceInUseException') return new SluiceError(`Lambda ${error.name}: ${error.message}`, { cause: error, retryable: true });
  return error;
}
