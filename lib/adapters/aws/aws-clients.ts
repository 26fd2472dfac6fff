import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Where and how to reach AWS, or an emulator speaking its API (moto_server, LocalStack). */
export interface AwsClientOptions {
  /**
   * Region of every client.
   * @default `AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1` when an endpoint is set
   * (emulators accept any region), else the SDK's own resolution.
   */
  readonly region?: string;
  /**
   * Base URL of an emulator, e.g. `http://localhost:4566`.
   * @default `AWS_ENDPOINT_URL` when set, else the real AWS endpoints.
   */
  readonly endpoint?: string;
  /**
   * Attempts per call (first try included) of the SDK's standard retry mode, which backs off with
   * jitter on throttling and 5xx before the adapters see an error.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * Told about a call that has had no answer for `slowCallAfterMs`, then again every three times that
   * while it waits: a stalled endpoint would otherwise leave a command silent. @default - not told
   */
  readonly onSlowCall?: (call: SlowCall) => void;
  /** @default 5000 */
  readonly slowCallAfterMs?: number;
}

/** A call still waiting for its answer (retries included). */
export interface SlowCall {
  readonly service: 'DynamoDB' | 'S3' | 'Kinesis' | 'Lambda';
  /** The API operation, e.g. `ListShards`. */
  readonly operation: string;
  /** The emulator's URL, or `undefined` for AWS itself. */
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
  readonly waitedMs: number;
}

/** The SDK clients the AWS adapters use, built with one configuration. */
export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  readonly lambda: LambdaClient;
  /** Closes the clients' sockets. */
  destroy(): void;
}

/**
 * Builds the DynamoDB, S3, Kinesis and Lambda clients from one set of options.
 *
 * Kinesis always gets an HTTP/1.1 handler: the SDK's default HTTP/2 handler fails with "Protocol
 * error" against emulators, and HTTP/1.1 works against AWS too. S3 uses path-style URLs when an
 * endpoint is given, since emulators do not serve `<bucket>.localhost` host names.
 *
 * @example
 * const aws = createAwsClients({ endpoint: 'http://localhost:5000' });
 * const store = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName: 'checkpoints' });
 */
export function createAwsClients(options: AwsClientOptions = {}, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const common = awsClientConfig(options, env);
  const { endpoint, region } = common;
  const clients = {
    dynamodb: new DynamoDBClient(common),
    s3: new S3Client({ ...common, forcePathStyle: endpoint !== undefined }),
    kinesis: new KinesisClient({ ...common, requestHandler: new NodeHttpHandler() }),
    lambda: new LambdaClient(common),
  };
  if (options.onSlowCall !== undefined) {
    const notice = { onSlowCall: options.onSlowCall, afterMs: options.slowCallAfterMs ?? 5_000, endpoint, region };
    watchSlowCalls(clients.dynamodb, 'DynamoDB', notice);
    watchSlowCalls(clients.s3, 'S3', notice);
    watchSlowCalls(clients.kinesis, 'Kinesis', notice);
    watchSlowCalls(clients.lambda, 'Lambda', notice);
  }
  return {
    ...clients,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

/** The configuration every client gets from {@link AwsClientOptions}: region, endpoint, standard retries. */
export function awsClientConfig(
  options: AwsClientOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): { region?: string; endpoint?: string; retryMode: string; maxAttempts: number } {
  const endpoint = options.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? (endpoint === undefined ? undefined : 'us-east-1');
  return {
    ...(region === undefined ? {} : { region }),
    ...(endpoint === undefined ? {} : { endpoint }),
    retryMode: 'standard',
    maxAttempts: options.maxAttempts ?? 3,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Calls `notice.onSlowCall` while a call of `client` waits: after `afterMs`, then every `3 × afterMs`. */
function watchSlowCalls(
  client: { middlewareStack: unknown },
  service: SlowCall['service'],
  notice: { onSlowCall: (call: SlowCall) => void; afterMs: number; endpoint: string | undefined; region: string | undefined },
): void {
  (client.middlewareStack as { add: (mw: unknown, options: { step: string; name: string }) => void }).add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const operation = (context.commandName ?? 'call').replace(/Command$/, '');
      let waitedMs = 0;
      let timer: NodeJS.Timeout | undefined;
      const wait = (ms: number): void => {
        timer = setTimeout(() => {
          waitedMs += ms;
          notice.onSlowCall({ service, operation, endpoint: notice.endpoint, region: notice.region, waitedMs });
          wait(3 * notice.afterMs);
        }, ms);
        // A notice never keeps the process alive.
        timer.unref();
      };
      wait(notice.afterMs);
      try {
        return await next(args);
      } finally {
        clearTimeout(timer);
      }
    },
    { step: 'initialize', name: 'sluiceSlowCallNotice' },
  );
}
