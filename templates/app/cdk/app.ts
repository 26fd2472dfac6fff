import { App, Stack } from 'aws-cdk-lib';
import { StreamProcessor } from 'sluice/cdk';

/**
 * The stack of {{name}}: a Kinesis stream, the processor Lambda running src/pipeline.ts one
 * micro-batch at a time, its checkpoint table and write-ahead log bucket, the rate controller, a
 * dashboard and alarms. `npx cdk synth` needs no AWS account; `npx cdk deploy` deploys it.
 */
const app = new App();
const stack = new Stack(app, '{{stackName}}');
new StreamProcessor(stack, 'Pipeline', {
  appName: '{{name}}', // the name given to pipeline('{{name}}')
  pipeline: 'src/pipeline.ts', // bundled into the processor by esbuild, on this machine
});
