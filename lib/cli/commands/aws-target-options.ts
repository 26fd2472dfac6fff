import type { Command } from 'commander';
import { z } from 'zod';
import { APP_NAME_RULE, isAppName } from '../../core/app-name';

/** The options `dev`, `push` and `status` share to find an app's stream, table and bucket. */
export const awsTargetOptions = {
  endpoint: z.url({ error: 'must be a URL such as http://localhost:4566' }).optional(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1'),
  stream: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be a Kinesis stream name: 1-128 letters, digits, "_", "-" or "."'),
  app: z.string().refine(isAppName, APP_NAME_RULE).optional(),
};

/** Declares {@link awsTargetOptions} on `command`. */
export function addAwsTargetOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'the emulator (LocalStack, moto_server) to talk to (default: AWS_ENDPOINT_URL, else AWS itself; dev requires one)')
    .option('--region <region>', 'region of the stream, table and bucket', 'us-east-1')
    .requiredOption('--stream <name>', 'the Kinesis stream')
    .option('--app <name>', 'app name: the table and bucket are sluice-<app> (default: the pipeline name)');
}
