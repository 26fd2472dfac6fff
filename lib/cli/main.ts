import { Command, CommanderError } from 'commander';
import { SluiceError } from '../core/errors';
import { registerDev } from './commands/dev';
import { registerPush } from './commands/push';
import { registerQuarantine } from './commands/quarantine';
import { registerReplay } from './commands/replay';
import { registerRun } from './commands/run';
import { registerSimulate } from './commands/simulate';
import { registerState } from './commands/state';
import { registerStatus } from './commands/status';

/**
 * The `sluice` command. Each subcommand lives in `commands/` and registers itself here. Errors sluice
 * understands (bad options, missing files, fenced writes) print as one line; anything else keeps its
 * stack, since it is a bug.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('sluice')
    .description('Serverless micro-batch stream processing: Spark Streaming guarantees on Kinesis, Lambda, DynamoDB and S3.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRun(program);
  registerState(program);
  registerSimulate(program);
  registerDev(program);
  registerPush(program);
  registerStatus(program);
  registerQuarantine(program);
  registerReplay(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof SluiceError) {
      process.stderr.write(`sluice: ${error.message}\n`);
      return 1;
    }
    const aws = describeAwsError(error);
    if (aws !== undefined) {
      process.stderr.write(`sluice: ${aws}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * AWS errors a user causes (no credentials, a missing table or stream, no permission) as one line.
 * Other SDK errors are answers of the service too, so they get one line with their name; only errors
 * that are not the service's (bugs) keep their stack.
 */
function describeAwsError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'CredentialsProviderError') {
    return 'no AWS credentials found: configure a profile or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or pass --endpoint (AWS_ENDPOINT_URL) for an emulator';
  }
  if (!('$metadata' in error)) return undefined;
  const hint = error.name === 'ResourceNotFoundException' ? ' (is the app deployed, or its name given with --app?)' : error.name === 'AccessDeniedException' ? ' (check the IAM permissions of these credentials)' : '';
  return `AWS ${error.name}: ${error.message}${hint}`;
}
