import { App } from 'aws-cdk-lib';
import { WordCountStack } from './word-count-stack';

/**
 * The CDK app of `cdk.json`: deploys the word-count example. Environment-agnostic (no account or
 * region lookups), so `npx cdk synth` works offline.
 *
 * Context: `-c stackName=<name>` names the stack (default `SluiceWordCount`; the stream and table
 * keep their names, `sluice-word-count`, so one copy per region); `-c destroyData=true` deletes the
 * stream, table and bucket with the stack (demos, emulators).
 */
const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
new WordCountStack(app, String(context('stackName') ?? 'SluiceWordCount'), {
  description: 'sluice word-count example: Kinesis to Lambda micro-batches with exactly-once state in DynamoDB and a WAL in S3',
  destroyData: context('destroyData') === true || context('destroyData') === 'true',
});
app.synth();
