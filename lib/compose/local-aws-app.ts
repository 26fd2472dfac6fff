import { createAwsClients, type AwsClients, type SlowCall } from '../adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../adapters/aws/dynamodb-checkpoint-store';
import { KinesisWriter } from '../adapters/aws/kinesis-writer';
import { listHashRanges } from '../adapters/aws/list-hash-ranges';
import { S3ObjectStore } from '../adapters/aws/s3-object-store';
import { ConfigError } from '../core/errors';
import { printSlowCall } from './print-slow-call';

/** Where `sluice dev`, `push`, `status` and `state dump` find an app on an emulator (or AWS). */
export interface LocalAwsTarget {
  readonly app: string;
  /** @default `AWS_ENDPOINT_URL`; one of the two is required */
  readonly endpoint?: string;
  /** @default `AWS_REGION`, else `AWS_DEFAULT_REGION`; on AWS the profile's region, on an emulator us-east-1 */
  readonly region?: string;
  /**
   * Refuse to run without an emulator endpoint. `sluice dev` sets it because it creates resources,
   * which must never happen in a real account by accident; `push`, `status` and `state dump` only use
   * what a deployment created, so without an endpoint they talk to AWS with the default credentials.
   * @default false
   */
  readonly requireEndpoint?: boolean;
  /** Told about a call that has had no answer for a few seconds. @default {@link printSlowCall}: one line on stderr */
  readonly onSlowCall?: (call: SlowCall) => void;
}

/** The app's resources in local AWS mode, named after the app so several apps share an emulator. */
export interface LocalAwsApp {
  readonly app: string;
  readonly region: string;
  /** The emulator's URL, `undefined` for AWS itself. */
  readonly endpoint: string | undefined;
  readonly tableName: string;
  readonly bucketName: string;
  readonly clients: AwsClients;
  readonly checkpoints: DynamoDbCheckpointStore;
  readonly objects: S3ObjectStore;
}

/** Table and bucket names of `app`: `sluice-{app}` for both (an app name is a valid bucket name part). */
export function localAwsResourceNames(app: string): { tableName: string; bucketName: string } {
  return { tableName: `sluice-${app}`, bucketName: `sluice-${app}` };
}

/**
 * Opens the app's table and bucket on the target's endpoint, or on AWS itself when there is none
 * (unless `requireEndpoint`).
 */
export function openLocalAwsApp(target: LocalAwsTarget, env: NodeJS.ProcessEnv = process.env): LocalAwsApp {
  const endpoint = target.endpoint ?? (env.AWS_ENDPOINT_URL || undefined);
  if (endpoint === undefined && target.requireEndpoint === true)
    throw new ConfigError(
      '--endpoint',
      'required (or set AWS_ENDPOINT_URL): the emulator to use, e.g. http://localhost:4566 for LocalStack or http://localhost:5000 for moto_server',
    );
  const region = target.region ?? (env.AWS_REGION || undefined) ?? (env.AWS_DEFAULT_REGION || undefined) ?? 'us-east-1';
  // On AWS itself an unnamed region is the SDK's to find (AWS_REGION, the profile's region); an
  // emulator takes any, so there it is the one the stream ARNs name.
  const clients = createAwsClients({ endpoint, region: endpoint === undefined ? target.region : region, onSlowCall: target.onSlowCall ?? printSlowCall }, env);
  const { tableName, bucketName } = localAwsResourceNames(target.app);
  return {
    app: target.app,
    region,
    endpoint,
    tableName,
    bucketName,
    clients,
    checkpoints: new DynamoDbCheckpointStore({ client: clients.dynamodb, tableName }),
    objects: new S3ObjectStore({ client: clients.s3, bucket: bucketName }),
  };
}

/** Creates what is missing of the stream, the table and the bucket, and waits until they are usable. */
export async function ensureLocalAwsResources(app: LocalAwsApp, stream: { name: string; shards: number }): Promise<void> {
  await Promise.all([
    KinesisWriter.createStream(app.clients.kinesis, stream.name, stream.shards),
    DynamoDbCheckpointStore.createTable(app.clients.dynamodb, app.tableName),
    S3ObjectStore.createBucket(app.clients.s3, app.bucketName),
  ]);
}

/**
 * Creates each exchange stream that is missing with one shard per partition, and refuses one that
 * exists with another number of open shards: partition p is the p-th open shard (docs/decisions/0015).
 */
export async function ensureExchangeStreams(app: LocalAwsApp, streams: ReadonlyArray<{ name: string; partitions: number }>): Promise<void> {
  await Promise.all(
    streams.map(async ({ name, partitions }) => {
      await KinesisWriter.createStream(app.clients.kinesis, name, partitions);
      // A split stream has more open shards than partitions, and is fine: each partition's hash key is on one of them.
      const open = (await listHashRanges(app.clients.kinesis, name)).length;
      if (open < partitions) {
        throw new ConfigError(
          'exchange stream',
          `${name} has ${open} open shards but the pipeline's exchange has ${partitions} partitions (keyBy({ partitions })): delete the stream (its stage's checkpoints too) or give keyBy ${open} partitions`,
        );
      }
    }),
  );
}
