import { setTimeout as sleepMs } from 'node:timers/promises';
import { ConfigError } from '../../../core/errors';
import type { BatchInfo } from '../../../core/pipeline/op-spec';
import type { AwsClientOptions } from '../aws-clients';

/** A sink as `foreachBatch` takes it: called once per batch, before the batch commits. */
export type BatchSink<T> = (items: T[], info: BatchInfo) => Promise<void>;

/**
 * The deterministic id of the `index`-th element of a batch: `{app}/{shard}/{batchNo}#{index}`. A
 * re-run of the batch hands the sink the same elements in the same order (ADR 0001, deviation 3),
 * so the same element always gets the same id: that is what consumers drop duplicates by.
 */
export function elementId(info: BatchInfo, index: number): string {
  return `${info.batchId}#${index}`;
}

/** How a sink retries the part of a request AWS did not take (unprocessed items, failed records). */
export interface SinkRetryOptions {
  /**
   * Rounds of retry of what a call left undone, after the first call.
   * @default 8
   */
  readonly maxRetries?: number;
  /**
   * First backoff in ms; doubles each round, with full jitter, up to 5 s.
   * @default 50
   */
  readonly baseDelayMs?: number;
}

/** Options every sink shares: how to reach AWS and how to retry partial failures. */
export interface SinkCommonOptions extends SinkRetryOptions {
  /**
   * Client options (region, emulator endpoint) when the sink builds its own client.
   * @default - `AWS_ENDPOINT_URL`, `AWS_REGION` from the environment, like the processor's own clients
   */
  readonly aws?: AwsClientOptions;
}

/** Thrown when a partial failure is still not written after every retry: the batch fails and is retried whole. */
export class SinkPartialFailureError extends Error {
  override readonly name = 'SinkPartialFailureError';
  /** Transient: throttling is what leaves parts of a request undone. */
  readonly $retryable = { throttling: true };
}

/**
 * Calls `attempt` with what is left to write until nothing is left, backing off between rounds
 * (exponential, full jitter). `attempt` returns what it could not write.
 */
export async function writeWithRetries<E>(
  what: string,
  entries: readonly E[],
  attempt: (left: readonly E[]) => Promise<readonly E[]>,
  options: SinkRetryOptions,
): Promise<void> {
  const maxRetries = options.maxRetries ?? 8;
  const base = options.baseDelayMs ?? 50;
  let left = entries;
  for (let round = 0; left.length > 0; round++) {
    if (round > maxRetries) throw new SinkPartialFailureError(`${what}: ${left.length} of ${entries.length} still not written after ${maxRetries} retries`);
    if (round > 0) await sleepMs(Math.random() * Math.min(5_000, base * 2 ** (round - 1)));
    left = await attempt(left);
  }
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<E>(items: readonly E[], size: number): E[][] {
  const out: E[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function forEachLimited<E>(items: readonly E[], limit: number, fn: (item: E) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A sink's client: the one it was given, else one built by `create` on first use (so loading a pipeline never needs AWS). */
export function lazyClient<C>(given: C | undefined, create: () => C): () => C {
  let client = given;
  return () => (client ??= create());
}

/** Refuses an empty or missing name at build time, with the option's name. */
export function requireName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(field, `must be a non-empty string (given ${JSON.stringify(value)})`);
  return value;
}
