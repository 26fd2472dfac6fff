#!/usr/bin/env node
// Entry of the `sluice` command: registers tsx so the CLI and user pipelines run as TypeScript.
import { register } from 'tsx/esm/api';

// The SDK's notice that its releases from 2027 on need Node 22 says nothing about this command's run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
