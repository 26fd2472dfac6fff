import { App } from 'aws-cdk-lib';
import { WordCountStack } from './word-count-stack';

/**
 * The CDK app of `cdk.json`: deploys the word-count example. Environment-agnostic (no account or
 * region lookups), so `npx cdk synth` works offline.
 *
 * Context: `-c destroyData=true` deletes the data with the stack (demos, emulators).
 */
const app = new App();
new WordCountStack(app, 'SluiceWordCount', {
  description: 'sluice word-count example: Kinesis → Lambda micro-batches with exactly-once state in DynamoDB and a WAL in S3',
  destroyData: app.node.tryGetContext('destroyData') === true || app.node.tryGetContext('destroyData') === 'true',
});
app.synth();
