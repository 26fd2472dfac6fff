/**
 * `npm run bench -- NAME [options]`: runs one benchmark. Every benchmark measures sluice against a
 * baseline in the same process and prints a `ratio` line; numbers in the README come from here.
 */
const BENCHES: Record<string, () => Promise<{ run(args: string[]): Promise<number> }>> = {
  engine: () => import('./engine'),
  'sdk-calls': () => import('./sdk-calls'),
  state: () => import('./state'),
  'state-memory': () => import('./state-memory'),
  'checkpoint-store': () => import('./checkpoint-store'),
  cli: () => import('./cli'),
  producer: () => import('./producer'),
  exchange: () => import('./exchange'),
};

export async function runBench(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const load = name === undefined ? undefined : BENCHES[name];
  if (load === undefined) {
    console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]`);
    return 2;
  }
  return (await load()).run(rest);
}
