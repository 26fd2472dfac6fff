#!/usr/bin/env node
// Entry of the `sluice` command: registers tsx so the CLI and user pipelines run as TypeScript.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
