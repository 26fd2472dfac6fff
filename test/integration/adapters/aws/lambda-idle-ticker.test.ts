import { CreateFunctionCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LambdaIdleTicker } from '../../../../lib/adapters/aws/lambda-idle-ticker';
import { createTestAwsClients, uniqueName } from '../../../helpers/moto';
import { interceptSend } from './intercept-send';

const endpoint = inject('awsEndpoint');
const aws = createTestAwsClients(endpoint);
const functionName = uniqueName('processor');

beforeAll(async () => {
  // moto requires the function's role to exist; the SDK's IAM client is no dependency of sluice, so
  // the role is made with one form POST of the IAM query API (moto does not check signatures).
  const roleName = uniqueName('processor-role');
  const created = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Action: 'CreateRole', Version: '2010-05-08', RoleName: roleName, AssumeRolePolicyDocument: '{}' }),
  });
  if (!created.ok) throw new Error(`moto refused CreateRole: ${created.status} ${await created.text()}`);
  // An empty zip: moto stores the function; an asynchronous invocation is accepted (202) without running it.
  const emptyZip = new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);
  await aws.lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Runtime: 'nodejs20.x',
      Role: `arn:aws:iam::123456789012:role/${roleName}`,
      Handler: 'index.handler',
      Code: { ZipFile: emptyZip },
    }),
  );
});

afterAll(() => aws.destroy());

describe('LambdaIdleTicker', () => {
  it('invokes the processor function asynchronously with the idle tick event', async () => {
    // Prepare
    const sent = interceptSend(aws.lambda);
    // Act
    await new LambdaIdleTicker(aws.lambda, functionName).request('shardId-000000000002', 1_700_000_060_000);
    // Assess
    expect(sent.map((c) => [c.name, c.input.FunctionName, c.input.InvocationType])).toEqual([['InvokeCommand', functionName, 'Event']]);
    expect(JSON.parse(new TextDecoder().decode(sent[0]!.input.Payload as Uint8Array))).toEqual({
      sluiceIdleTick: { shardId: 'shardId-000000000002', idleAtMs: 1_700_000_060_000 },
    });
  });

  it('fails with the service error when the function does not exist', async () => {
    await expect(new LambdaIdleTicker(aws.lambda, uniqueName('missing')).request('shardId-000000000000', 1)).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
