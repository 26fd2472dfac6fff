import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';

const endpoint = inject('awsEndpoint');

/** Runs scripts/moto-preflight.mjs, as scripts/deploy-moto.sh does. */
async function preflight(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['scripts/moto-preflight.mjs', endpoint, ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

describe('scripts/deploy-moto.sh preflight', () => {
  it('names a table sluice dev made where the stack will create its own, and deletes it only with --replace', async () => {
    // Prepare: the table `sluice dev` creates for an app, and no stack.
    const app = uniqueName('preflight');
    const aws = createTestAwsClients(endpoint);
    await DynamoDbCheckpointStore.createTable(aws.dynamodb, `sluice-${app}`);
    const stack = uniqueName('Stack');
    // Act
    const refused = await preflight([stack, app]);
    const replaced = await preflight([stack, app, '--replace']);
    const gone = await aws.dynamodb.send(new DescribeTableCommand({ TableName: `sluice-${app}` })).then(
      () => false,
      (e: Error) => e.name === 'ResourceNotFoundException',
    );
    const clean = await preflight([stack, app]);
    aws.destroy();
    // Assess
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `deploy-moto: table sluice-${app} already exists on ${endpoint}, outside stack ${stack} (made by sluice dev?), and the stack creates its own: rerun with --replace to delete it (its checkpoints and records go), or use a fresh moto_server (MOTO_PORT=5001)`,
    ]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain(`deploy-moto: deleted table sluice-${app} (--replace)`);
    expect(gone).toBe(true);
    expect(clean).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
