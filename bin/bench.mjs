#!/usr/bin/env node
// Entry of `npm run bench -- NAME`: runs bench/NAME.ts under tsx.
import { register } from 'tsx/esm/api';

register();
const { runBench } = await import('../bench/index.ts');
process.exitCode = await runBench(process.argv.slice(2));
