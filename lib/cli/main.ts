import { Command, CommanderError, Help } from 'commander';
import { SluiceError } from '../core/errors';

/** A subcommand as `sluice --help` lists it, and the module that declares it in full. */
export interface CommandEntry {
  /** What `sluice --help` shows after the name; the same as the command's own description. */
  readonly description: string;
  /** `[options]` when the command has options: commander's term for it in `sluice --help`. */
  readonly term: string;
  /** Loads the module that declares the command's options and action, and registers it. */
  readonly load: () => Promise<(program: Command) => unknown>;
}

/**
 * Every subcommand, in the order `sluice --help` lists them. A command's module (and what it
 * imports: the engine, SQLite, the AWS SDK, vega) is loaded only when that command runs, so
 * `sluice --help` costs commander alone. `test/unit/cli/main.test.ts` checks this table against
 * the commands' own declarations.
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  init: {
    description: 'Create a new sluice app: a pipeline, its in-memory test, and a CDK app that deploys it with StreamProcessor.',
    term: '[options] [dir]',
    load: async () => (await import('./commands/init')).registerInit,
  },
  run: {
    description: 'Run a pipeline locally: micro-batches over a local source, checkpointed on disk (kill -9 safe).',
    term: '[options]',
    load: async () => (await import('./commands/run')).registerRun,
  },
  state: { description: 'Read the checkpointed state of a pipeline.', term: '', load: async () => (await import('./commands/state')).registerState },
  simulate: {
    description: 'Simulate rate control (none, static, Spark PID, sluice) under a load profile; print the summary and draw it.',
    term: '[options]',
    load: async () => (await import('./commands/simulate')).registerSimulate,
  },
  dev: {
    description:
      'Run the Lambda processor in-process against LocalStack or moto: a local event source mapping polls the Kinesis stream and invokes it as Lambda would.',
    term: '[options]',
    load: async () => (await import('./commands/dev')).registerDev,
  },
  push: {
    description: 'Write a file to a Kinesis stream, one record per line (empty lines skipped), following the published rates.',
    term: '[options]',
    load: async () => (await import('./commands/push')).registerPush,
  },
  status: {
    description: "Show each shard's committed sequence number, batch number, lag, rate and last batch.",
    term: '[options]',
    load: async () => (await import('./commands/status')).registerStatus,
  },
  quarantine: {
    description: 'Read the records and batches an app set aside (poison pills), with the reason of each.',
    term: '',
    load: async () => (await import('./commands/quarantine')).registerQuarantine,
  },
  ui: {
    description:
      "Serve a web page on localhost with an app's live timelines, delay histograms, recent batches, quarantine and rate controller, read from its checkpoint.",
    term: '[options]',
    load: async () => (await import('./commands/ui')).registerUi,
  },
  replay: {
    description: "Re-run the WAL batches of an app whose batch time is in [--from, --to) into a fresh app's state: reprocessing beyond the stream's retention.",
    term: '[options]',
    load: async () => (await import('./commands/replay')).registerReplay,
  },
};

/**
 * The `sluice` command. Only the subcommand named in `argv` is loaded and declared in full; the
 * others are listed by name and description. Errors sluice understands (bad options, missing
 * files, fenced writes) print as one line; anything else keeps its stack, since it is a bug.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('sluice')
    .description('Serverless micro-batch stream processing: Spark Streaming guarantees on Kinesis, Lambda, DynamoDB and S3.')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ subcommandTerm })
    .exitOverride();
  const invoked = invokedCommand(argv);
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (name === invoked) (await entry.load())(program);
    else program.command(name).description(entry.description);
  }
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

/** Socket errors of a call that never reached a service, in plain words. */
const NETWORK_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name did not resolve',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
};

/** A command as `sluice --help` lists it: from the table, whether or not its module is loaded. */
function subcommandTerm(cmd: Command): string {
  const entry = COMMANDS[cmd.name()];
  return entry === undefined ? new Help().subcommandTerm(cmd) : [cmd.name(), entry.term].filter((part) => part !== '').join(' ');
}

/** The subcommand `argv` runs (or asks help for, `sluice help run`): its first word that is not an option. */
function invokedCommand(argv: readonly string[]): string | undefined {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
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
  const code = (error as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }).code;
  if (code !== undefined && NETWORK_ERRORS[code] !== undefined) {
    const e = error as { address?: string; port?: number; hostname?: string };
    const where = e.address !== undefined ? `${e.address}${e.port === undefined ? '' : `:${e.port}`}` : (e.hostname ?? 'the endpoint');
    return `cannot reach the AWS endpoint ${where} (${NETWORK_ERRORS[code]}): is moto_server or LocalStack running there? Check --endpoint or AWS_ENDPOINT_URL`;
  }
  if (error.name === 'SyntaxError' && '$response' in error) {
    const status = (error as { $response?: { statusCode?: number } }).$response?.statusCode;
    return `the endpoint's answer is not an AWS API response (HTTP ${status ?? '?'}, ${error.message.split('\n')[0]!.slice(0, 60)}): check that --endpoint or AWS_ENDPOINT_URL points at moto_server, LocalStack or AWS`;
  }
  if (!('$metadata' in error)) return undefined;
  const hint =
    error.name === 'ResourceNotFoundException'
      ? ' (is the app deployed, or its name given with --app?)'
      : error.name === 'AccessDeniedException'
        ? ' (check the IAM permissions of these credentials)'
        : '';
  return `AWS ${error.name}: ${error.message}${hint}`;
}
