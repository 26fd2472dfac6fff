import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StreamProcessor } from '../../cdk/stream-processor';
for (const bundle of [false, true, true]) {
  const t0 = Date.now();
  const app = new App(bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  new StreamProcessor(stack, 'WordCount', { pipelineEntry: 'examples/word-count.ts', appName: 'word-count' });
  const t1 = Date.now();
  Template.fromStack(stack);
  console.log('bundle', bundle, 'construct', t1 - t0, 'synth', Date.now() - t1, 'ms');
}
