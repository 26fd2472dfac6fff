import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createAwsClients } from '../adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../adapters/aws/dynamodb-checkpoint-store';
import { S3ObjectStore } from '../adapters/aws/s3-object-store';
import { ConfigError } from '../core/errors';
import type { CheckpointStore } from '../ports/checkpoint-store';
import type { ObjectStore } from '../ports/object-store';
import { localAwsResourceNames } from '../compose/local-aws-app';
import { endpointOption, regionOption, resolveEndpoint } from './commands/aws-target-options';
import { printSlowCall } from '../compose/print-slow-call';
import { defaultCheckpointDir, openLocalStores } from '../compose/open-local-app';

/** The options that say where an app's checkpoint and objects are: a local directory, or a table and a bucket. */
export const appStoresOptions = {
  checkpointDir: z.string().min(1).optional(),
  endpoint: endpointOption.optional(),
  region: regionOption,
  table: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name')
    .optional(),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
    .optional(),
};

/** Declares {@link appStoresOptions} on `command`. */
export function addAppStoresOptions(command: Command): Command {
  return command
    .option('--checkpoint-dir <dir>', "local mode: the app's checkpoint directory (default: .sluice/<app>)")
    .option(
      '--endpoint <url>',
      'AWS mode on an emulator (LocalStack, moto_server): table and bucket sluice-<app> unless named (default: AWS_ENDPOINT_URL, unless --checkpoint-dir is given)',
    )
    .option('--region <region>', "AWS mode: region of the table and bucket (default: AWS_REGION, else the profile's region; us-east-1 on an emulator)")
    .option('--table <name>', 'AWS mode: the checkpoint table (DynamoDB)')
    .option('--bucket <name>', 'AWS mode: the WAL and quarantine bucket (S3)');
}

/** An app's opened stores, and how to say where they are. */
export interface AppStores {
  readonly checkpoints: CheckpointStore;
  readonly objects: ObjectStore;
  readonly where: string;
  close(): Promise<void>;
}

/**
 * Opens the stores of `app`: AWS mode when a table, a bucket or an endpoint (`--endpoint`, or
 * `AWS_ENDPOINT_URL` when no `--checkpoint-dir` is given) is given (the table and
 * bucket default to `sluice-<app>`, as `sluice dev` names them), else the local checkpoint directory,
 * which must exist unless `create` is set.
 */
export function openAppStores(
  app: string,
  o: { checkpointDir?: string; endpoint?: string; region?: string; table?: string; bucket?: string },
  create = false,
  env: NodeJS.ProcessEnv = process.env,
): AppStores {
  // AWS_ENDPOINT_URL means AWS mode, as in `status` and `state dump`, unless a local directory is named.
  const endpoint = o.checkpointDir === undefined ? resolveEndpoint(o.endpoint, env) : o.endpoint;
  if (endpoint !== undefined || o.table !== undefined || o.bucket !== undefined) {
    const clients = createAwsClients({ endpoint, region: o.region, onSlowCall: printSlowCall }, env);
    const names = localAwsResourceNames(app);
    const tableName = o.table ?? names.tableName;
    const bucket = o.bucket ?? names.bucketName;
    return {
      checkpoints: new DynamoDbCheckpointStore({ client: clients.dynamodb, tableName }),
      objects: new S3ObjectStore({ client: clients.s3, bucket }),
      where: `table ${tableName}, bucket ${bucket}`,
      close: async () => clients.destroy(),
    };
  }
  const dir = o.checkpointDir ?? defaultCheckpointDir(app);
  if (!create && !existsSync(join(dir, 'checkpoint.sqlite')))
    throw new ConfigError('--checkpoint-dir', `no checkpoint in ${dir} (run the pipeline first, or point at its directory)`);
  const { checkpoints, objects } = openLocalStores(dir);
  return { checkpoints, objects, where: dir, close: () => checkpoints.close() };
}
