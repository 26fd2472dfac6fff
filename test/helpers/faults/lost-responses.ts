import type { DeserializeHandlerArguments, MetadataBearer, MiddlewareStack } from '@smithy/types';

/** An AWS SDK v3 client: anything with a middleware stack. */
interface ClientWithStack {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- every client's stack, whatever its input and output types
  readonly middlewareStack: MiddlewareStack<any, MetadataBearer>;
}

/** Options of {@link loseResponses}. */
export interface LoseResponsesOptions {
  /** Seeded source of numbers in [0, 1). */
  readonly random: () => number;
  /** Probability that a matching call's response is lost. */
  readonly rate: number;
  /** Commands whose responses may be lost, e.g. `TransactWriteItemsCommand`, `PutObjectCommand`. */
  readonly commands: readonly string[];
}

/**
 * Makes an SDK client lose responses of writes that were applied: the request reaches the service
 * and takes effect, then the client sees a 500 and its standard retry sends it again. The retry
 * meets its own effect — a conditional commit cancelled by the commit it already made, a create-only
 * put answered 412 by the object it created — which is what the adapters and the protocol must
 * read as "done", not as a lost race or a failure.
 *
 * The middleware sits in the deserialize step, inside the retry loop, so each attempt draws anew.
 * Returns the running count of responses lost.
 */
export function loseResponses(client: ClientWithStack, options: LoseResponsesOptions): { lost: number } {
  const counter = { lost: 0 };
  client.middlewareStack.add(
    (next, context) => async (args: DeserializeHandlerArguments<object>) => {
      const output = await next(args);
      if (!options.commands.includes(context.commandName ?? '') || options.random() >= options.rate) return output;
      counter.lost++;
      const error = new Error(`injected: ${context.commandName} was applied but its response was lost`);
      error.name = 'InternalServerError';
      throw Object.assign(error, { $fault: 'server', $metadata: { httpStatusCode: 500 } });
    },
    { step: 'deserialize', name: 'chaosLoseResponses' },
  );
  return counter;
}
