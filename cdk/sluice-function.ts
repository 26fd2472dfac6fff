import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The Lambda runtime of sluice's functions: the newest Node.js the CDK knows (cdk-nag AwsSolutions-L1). */
export const SLUICE_RUNTIME = Runtime.NODEJS_24_X;

/** Options of {@link SluiceFunction}. */
export interface SluiceFunctionProps {
  /** Entry file, an absolute path, exporting `handler`. */
  readonly entry: string;
  /**
   * Modules the bundler replaces, `{ 'sluice-pipeline': '/abs/pipeline.ts' }` (esbuild's `--alias`).
   * @default - none
   */
  readonly alias?: Readonly<Record<string, string>>;
  /** @default - the lock file NodejsFunction finds from the current directory up */
  readonly depsLockFilePath?: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** MiB; CPU follows. */
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Variables the entry reads at cold start (see lib/runtime/lambda/function-environment.ts). */
  readonly environment: Record<string, string>;
  /** What happens to the log group when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * A Node.js function bundled by esbuild on this machine (never in Docker, so `cdk synth` works
 * offline), with a role of its own that starts empty and a log group of its own. Logs stay in
 * Lambda's text format: Powertools already writes JSON lines, and EMF documents must reach the log
 * as they are written.
 *
 * The role has no managed policy: it gets write access to its log group and, from the caller,
 * exactly the actions the function uses. The AWS SDK is bundled rather than taken from the
 * runtime, so the function runs the SDK version the tests ran (S3 `IfNoneMatch` needs a recent one).
 */
export class SluiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: SluiceFunctionProps) {
    super(scope, id);
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `Runs ${id}` });
    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      ...(props.depsLockFilePath === undefined ? {} : { depsLockFilePath: props.depsLockFilePath }),
      runtime: SLUICE_RUNTIME,
      description: props.description,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        // The project is ESM; bundled CommonJS dependencies still call `require` for built-ins.
        banner: "import { createRequire as sluiceCreateRequire } from 'node:module'; const require = sluiceCreateRequire(import.meta.url);",
        mainFields: ['module', 'main'],
        bundleAwsSDK: true,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        ...(props.alias === undefined ? {} : { esbuildArgs: { '--alias': Object.entries(props.alias).map(([name, path]) => `${name}=${path}`) } }),
      },
    });
  }
}
