// Before scripts/deploy-moto.sh deploys the word-count stack to moto: a stack that an earlier deploy
// left half-made (REVIEW_IN_PROGRESS, ROLLBACK_COMPLETE, *_FAILED) is deleted, and a table or stream
// the stack would create but that exists outside it (made by `sluice dev`, say) is named, with the way
// out, or deleted with --replace. Without this, CloudFormation on moto fails on the existing table with
// an XML parse error and leaves the stack in REVIEW_IN_PROGRESS.
//
// Usage: node scripts/moto-preflight.mjs ENDPOINT STACK APP [--replace]
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const [endpoint, stack, app, flag] = process.argv.slice(2);
const replace = flag === '--replace';
const say = (line) => process.stdout.write(`deploy-moto: ${line}\n`);

/** A CloudFormation query-API call (moto does not check signatures); its XML answer. */
async function cloudFormation(action, params) {
  const body = new URLSearchParams({ Action: action, Version: '2010-05-15', ...params });
  const res = await fetch(endpoint, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return res.text();
}

const described = await cloudFormation('DescribeStacks', { StackName: stack });
const status = /<StackStatus>([A-Z_]+)<\/StackStatus>/.exec(described)?.[1];
const broken = status !== undefined && (status === 'REVIEW_IN_PROGRESS' || status === 'ROLLBACK_COMPLETE' || status.endsWith('_FAILED'));
if (broken) {
  await cloudFormation('DeleteStack', { StackName: stack });
  say(`deleted stack ${stack}, left in ${status} by an earlier deploy`);
}
if (status !== undefined && !broken) process.exit(0); // a deployed stack: cdk deploy updates it

const config = { endpoint, region: process.env.AWS_REGION ?? 'us-east-1' };
const dynamodb = new DynamoDBClient(config);
// HTTP/1.1: emulators do not speak the SDK's default HTTP/2 to Kinesis.
const kinesis = new KinesisClient({ ...config, requestHandler: new NodeHttpHandler() });
const name = `sluice-${app}`;
const exists = (promise) =>
  promise.then(
    () => true,
    (error) => (error.name === 'ResourceNotFoundException' ? false : Promise.reject(error)),
  );
const found = [];
if (await exists(dynamodb.send(new DescribeTableCommand({ TableName: name }))))
  found.push(['table', () => dynamodb.send(new DeleteTableCommand({ TableName: name }))]);
if (await exists(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))))
  found.push(['stream', () => kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }))]);
if (found.length > 0) {
  const what = found.map(([kind]) => `${kind} ${name}`).join(' and ');
  if (!replace) {
    process.stderr.write(
      `deploy-moto: ${what} already exist${found.length === 1 ? 's' : ''} on ${endpoint}, outside stack ${stack} (made by sluice dev?), and the stack creates its own: rerun with --replace to delete ${found.length === 1 ? 'it (its' : 'them (their'} checkpoints and records go), or use a fresh moto_server (MOTO_PORT=5001)\n`,
    );
    process.exit(3);
  }
  for (const [, remove] of found) await remove();
  say(`deleted ${what} (--replace), so the stack can create ${found.length === 1 ? 'it' : 'them'}`);
}
dynamodb.destroy();
kinesis.destroy();
