import cp from 'node:child_process';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const real = cp.spawnSync;
const mod = require('child_process');
mod.spawnSync = (cmd: string, args: string[], opts: unknown) => {
  const t0 = Date.now();
  const r = real(cmd, args, opts as never);
  console.log('spawnSync', cmd, (args ?? []).join(' ').slice(0, 150), Date.now() - t0, 'ms');
  return r;
};
const { App, Stack } = await import('aws-cdk-lib');
const { StreamProcessor } = await import('../../cdk/stream-processor');
const t0 = Date.now();
const stack = new Stack(new App(), 'Test');
new StreamProcessor(stack, 'WordCount', { pipelineEntry: 'examples/word-count.ts', appName: 'word-count' });
console.log('construct', Date.now() - t0);
