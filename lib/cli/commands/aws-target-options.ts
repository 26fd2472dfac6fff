import type { Command } from 'commander';
import { z } from 'zod';
import { APP_NAME_RULE, isAppName } from '../../core/app-name';
import { ConfigError } from '../../core/errors';

/** An emulator's base URL: a scheme and a host, as the SDK needs it (`localhost:5000` alone is not one). */
export const endpointOption = z
  .string()
  .regex(/^https?:\/\/[^/\s]+/, 'must be a URL with its scheme, such as http://localhost:4566')
  .refine((s) => URL.canParse(s), 'must be a URL with its scheme, such as http://localhost:4566');

/** A region name; absent = the SDK's own chain (`AWS_REGION`, the profile's region), us-east-1 on an emulator. */
export const regionOption = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1')
  .optional();

/** The options `dev`, `push` and `status` share to find an app's stream, table and bucket. */
export const awsTargetOptions = {
  endpoint: endpointOption.optional(),
  region: regionOption,
  stream: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be a Kinesis stream name: 1-128 letters, digits, "_", "-" or "."'),
  app: z.string().refine(isAppName, APP_NAME_RULE).optional(),
};

/** What `--region` says it defaults to, in every command. */
export const REGION_HELP = "region of the stream, table and bucket (default: AWS_REGION, else the profile's region; us-east-1 on an emulator)";
/** What `--endpoint` says it defaults to, in every command. */
export const ENDPOINT_HELP = 'the emulator (LocalStack, moto_server) to talk to, e.g. http://localhost:4566 (default: AWS_ENDPOINT_URL, else AWS itself)';

/** Declares {@link awsTargetOptions} on `command`. */
export function addAwsTargetOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', ENDPOINT_HELP)
    .option('--region <region>', REGION_HELP)
    .requiredOption('--stream <name>', 'the Kinesis stream')
    .option('--app <name>', 'app name: the table and bucket are sluice-<app> (default: the pipeline name)');
}

/**
 * The endpoint a command talks to: `--endpoint`, else `AWS_ENDPOINT_URL` (the SDK's own variable),
 * checked like the option so a value without its scheme is one line, not the SDK's stack.
 */
export function resolveEndpoint(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (option !== undefined) return option;
  const fromEnv = env.AWS_ENDPOINT_URL;
  if (fromEnv === undefined || fromEnv === '') return undefined;
  const checked = endpointOption.safeParse(fromEnv);
  if (!checked.success) throw new ConfigError('AWS_ENDPOINT_URL', `${checked.error.issues[0]!.message} (given ${JSON.stringify(fromEnv)})`);
  return fromEnv;
}
