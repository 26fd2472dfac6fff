import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { GetEventSourceMappingCommand, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { GetBucketEncryptionCommand } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WordCountStack } from '../../cdk/word-count-stack';
import type { AwsClients } from '../../lib/adapters/aws/aws-clients';
import { createTestAwsClients, uniqueName } from '../helpers/moto';
import { logicalIdOf } from './stream-processor-fixture';

/** The repository: where cdk.json and the lock file are. */
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Bootstrap, synth with two esbuild bundles, and deploy: about 30 s on a busy 2-core box. */
const DEPLOY_TIMEOUT_MS = 180_000;

const endpoint = inject('awsEndpoint');
// A stack of its own, deleted afterwards. Its stream and table are named after the app
// (sluice-word-count), so an emulator that already holds the word-count stack fails this deploy.
const stackName = uniqueName('SluiceDeployTest');
let aws: AwsClients;
let physicalIds: Map<string, string>;
let stack: WordCountStack;
let outdir: string;

/** Runs the project's CDK CLI against the emulator; rejects with its output when it fails. */
async function cdk(args: string[]): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    CDK_DISABLE_CLI_TELEMETRY: '1',
  };
  // Dummy credentials only: a profile would win over them and could reach a real account.
  delete env.AWS_PROFILE;
  const child = spawn('npx', ['cdk', ...args, '--output', outdir, '--no-notices', '-c', `stackName=${stackName}`, '-c', 'destroyData=true'], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-8_000)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-8_000)));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`cdk ${args.join(' ')} exited with ${code}:\n${output}`);
}

/**
 * Calls CloudFormation's query API on the emulator. The project has no CloudFormation client, so
 * this speaks the protocol directly; the emulator routes on the credential scope and checks no
 * signature.
 */
async function cloudFormation(action: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/cloudformation/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Action: action, Version: '2010-05-15', ...params }),
  });
  const xml = await response.text();
  if (!response.ok) throw new Error(`${action}: ${response.status} ${xml}`);
  return xml;
}

/** Logical id → physical id of the resources of stack `name`. */
async function describeStackResources(name: string): Promise<Map<string, string>> {
  const xml = await cloudFormation('DescribeStackResources', { StackName: name });
  const ids = new Map<string, string>();
  for (const [, member] of xml.matchAll(/<member>([\s\S]*?)<\/member>/g)) {
    const logical = /<LogicalResourceId>([^<]+)</.exec(member!)?.[1];
    const physical = /<PhysicalResourceId>([^<]+)</.exec(member!)?.[1];
    if (logical !== undefined && physical !== undefined) ids.set(logical, physical);
  }
  return ids;
}

/** The physical id of `construct` in the deployed stack. */
function deployed(construct: Parameters<typeof logicalIdOf>[0]): string {
  const id = physicalIds.get(logicalIdOf(construct));
  if (id === undefined) throw new Error(`${logicalIdOf(construct)} is not in stack ${stackName}: ${[...physicalIds.keys()].join(', ')}`);
  return id;
}

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'sluice-cdk-out-'));
  aws = createTestAwsClients(endpoint);
  // The same stack in-process, unbundled, only to name its resources' logical ids.
  stack = new WordCountStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), stackName);
  await cdk(['bootstrap']);
  await cdk(['deploy', stackName, '--require-approval', 'never']);
  physicalIds = await describeStackResources(stackName);
}, DEPLOY_TIMEOUT_MS);

afterAll(async () => {
  // The stack names its stream and table after the app: delete it, so a rerun on a long-lived
  // emulator can create them again.
  if (physicalIds !== undefined) await cloudFormation('DeleteStack', { StackName: stackName });
  aws?.destroy();
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

describe('WordCountStack', () => {
  describe('cdk deploy to moto', () => {
    it('creates the stream', async () => {
      // Act
      const { StreamDescriptionSummary } = await aws.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: deployed(stack.processor.stream) }));
      // Assess
      expect(StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
    });

    it('creates the checkpoint table keyed by pk and sk', async () => {
      // Act
      const { Table } = await aws.dynamodb.send(new DescribeTableCommand({ TableName: deployed(stack.processor.table) }));
      // Assess
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    });

    // moto's CloudFormation applies a bucket's encryption and tags only (no lifecycle, no policy):
    // the template tests cover the rest.
    it('creates the bucket, encrypted', async () => {
      // Act
      const { ServerSideEncryptionConfiguration } = await aws.s3.send(new GetBucketEncryptionCommand({ Bucket: deployed(stack.processor.bucket) }));
      // Assess
      expect(ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    });

    it('maps the stream to the processor, reporting batch item failures', async () => {
      // Prepare
      const mappingConstruct = stack.processor.processor.function.node.children.find((child) => child instanceof EventSourceMapping)!;
      const { StreamDescriptionSummary } = await aws.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: deployed(stack.processor.stream) }));
      // Act
      const mapping = await aws.lambda.send(new GetEventSourceMappingCommand({ UUID: deployed(mappingConstruct) }));
      // Assess
      expect({ source: mapping.EventSourceArn, function: mapping.FunctionArn?.split(':').pop(), responseTypes: mapping.FunctionResponseTypes }).toEqual({
        source: StreamDescriptionSummary?.StreamARN,
        function: deployed(stack.processor.processor.function),
        responseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('tells the controller the UUID of the deployed mapping', async () => {
      // Act
      const config = await aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: deployed(stack.processor.controller.function) }));
      // Assess
      const mapping = config.Environment?.Variables?.SLUICE_EVENT_SOURCE_MAPPING_ID;
      expect(mapping).toBeDefined();
      expect((await aws.lambda.send(new GetEventSourceMappingCommand({ UUID: mapping }))).UUID).toBe(mapping);
    });
  });
});
