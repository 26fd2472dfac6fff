import { App, Stack, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { StreamProcessor } from '../../cdk/stream-processor';
import type { StreamProcessorProps } from '../../cdk/stream-processor-props';
import { WORD_COUNT_PIPELINE } from '../../cdk/word-count-stack';

/** The props every test starts from: the word-count example. */
export const WORD_COUNT_PROPS: StreamProcessorProps = { appName: 'word-count', pipeline: WORD_COUNT_PIPELINE };

/** A stack holding one {@link StreamProcessor}, and its template. */
export interface Synthesized {
  readonly stack: Stack;
  readonly processor: StreamProcessor;
  readonly template: Template;
}

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /**
   * Bundle the functions with esbuild. Tests of the template need no bundle, and each costs a
   * second or so of `npx esbuild` per function, so only the tests of the bundle itself ask for it.
   * @default false - the CDK's `aws:cdk:bundling-stacks` context skips bundling
   */
  readonly bundle?: boolean;
}

/**
 * Builds a stack with a StreamProcessor of the word-count props plus `overrides` (which may use the
 * stack, e.g. to import a stream) and synthesizes it.
 */
export function synthesize(
  overrides: Partial<StreamProcessorProps> | ((stack: Stack) => Partial<StreamProcessorProps>) = {},
  options: SynthesizeOptions = {},
): Synthesized {
  // With a bundle, the template records each asset's folder in the assembly, as under the CLI.
  const app = new App({ context: options.bundle ? { 'aws:cdk:enable-asset-metadata': true } : { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const extra = typeof overrides === 'function' ? overrides(stack) : overrides;
  const processor = new StreamProcessor(stack, 'WordCount', { ...WORD_COUNT_PROPS, ...extra });
  return { stack, processor, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation knows `construct` (or its default child) by, asked of the stack rather than hard-coded. */
export function logicalIdOf(construct: IConstruct): string {
  const stack = Stack.of(construct);
  const resource = (construct.node.defaultChild ?? construct) as CfnResource;
  return stack.resolve(stack.getLogicalId(resource)) as string;
}

/** An IAM statement as synthesized: one action or a list, one resource or a list. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every statement of the inline policies attached to the role with logical id `roleId`. */
export function statementsOfRole(template: Template, roleId: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Array<{
    Properties: { Roles: unknown[]; PolicyDocument: { Statement: Statement[] } };
  }>;
  return policies
    .filter((policy) => policy.Properties.Roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleId })))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

/** The actions of `statements` whose resources mention `resourceId` (by Ref or GetAtt). */
export function actionsOn(statements: readonly Statement[], resourceId: string): string[] {
  return statements
    .filter((statement) => JSON.stringify(statement.Resource).includes(`"${resourceId}"`))
    .flatMap((statement) => [statement.Action].flat())
    .sort();
}

/** The actions of `statements` whose resources mention `resourceId` and end with `suffix`, e.g. `/wal/word-count/*`. */
export function actionsOnObjects(statements: readonly Statement[], resourceId: string, suffix: string): string[] {
  return statements
    .filter((statement) =>
      [statement.Resource].flat().some((resource) => JSON.stringify(resource).includes(`"${resourceId}"`) && JSON.stringify(resource).includes(`"${suffix}"`)),
    )
    .flatMap((statement) => [statement.Action].flat())
    .sort();
}
