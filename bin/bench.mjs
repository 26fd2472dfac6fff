#!/usr/bin/env node
// Entry of `npm run bench -- NAME`: runs bench/NAME.ts under tsx.
import { register } from 'tsx/esm/api';

// The SDK's notice that its releases from 2027 on need Node 22 says nothing about a bench's figures.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { runBench } = await import('../bench/index.ts');
process.exitCode = await runBench(process.argv.slice(2));
