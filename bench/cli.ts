import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SLUICE = fileURLToPath(new URL('../bin/sluice.mjs', import.meta.url));

/** What each command runs, the bare Node start-up first: the baseline. */
const COMMANDS: ReadonlyArray<{ name: string; args: string[] }> = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'sluice --help', args: [SLUICE, '--help'] },
  { name: 'sluice run --help', args: [SLUICE, 'run', '--help'] },
];

/**
 * Start-up of the `sluice` command (the built CLI, bin/sluice.mjs) against a bare `node -e 0`, each
 * a new process of this Node, wall time. Runs interleave the three commands, so load on the machine
 * falls on all of them alike; ratios are of the medians. The goal (issue 11): under 5×.
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { runs: { type: 'string', default: '21' } } });
  const runs = Number(values.runs);
  const times = COMMANDS.map(() => [] as number[]);
  for (let i = 0; i < runs + 1; i++) {
    COMMANDS.forEach((command, c) => {
      const start = process.hrtime.bigint();
      const child = spawnSync(process.execPath, command.args, { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (child.status !== 0) throw new Error(`${command.name} exited ${child.status}`);
      if (i > 0) times[c]!.push(ms); // the first run warms the file cache
    });
  }
  const medians = times.map(median);
  console.log(`cli bench: ${runs} runs of each command, interleaved, ${process.version}`);
  COMMANDS.forEach((command, c) => console.log(`  ${command.name.padEnd(18)} ${medians[c]!.toFixed(0).padStart(5)} ms median`));
  console.log(
    `ratio sluice --help ${(medians[1]! / medians[0]!).toFixed(2)}, sluice run --help ${(medians[2]! / medians[0]!).toFixed(2)} (median wall time / node -e 0's; goal: under 5)`,
  );
  return 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
