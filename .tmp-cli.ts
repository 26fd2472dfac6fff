import { Command } from 'commander';
import { registerSimulate } from './lib/cli/commands/simulate';
const p = new Command('sluice').exitOverride();
registerSimulate(p);
await p.parseAsync(process.argv.slice(2), { from: 'user' });
