import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { endpointBackend, memoryBackend, type ChaosBackend } from './chaos-backend';
import { runChaos, type ChaosSummary } from './run-chaos';
import { runExchangeChaos } from './two-stage/run-exchange-schedule';
import { DEFAULT_SCHEDULE_SIZE, SMALL_SCHEDULE_SIZE } from './schedule-config';

const USAGE = `usage: npm run chaos -- [--schedules N] [--seed S] [--endpoint URL] [--only INDEX] [--small] [--exchange]

Runs N seeded random fault schedules over word count and checks every record against an exact
oracle: counted exactly once, or quarantined exactly once; outputs exactly once (WAL on).
  --schedules N    schedules to run (default 100)
  --seed S         seed of the run; schedule I of seed S always replays the same (default 1)
  --endpoint URL   run on DynamoDB + S3 at an emulator (moto_server, LocalStack) instead of memory
  --only INDEX     run schedule INDEX of the seed alone (to replay a failure)
  --small          smaller schedules (fewer shards, records and steps), as CI runs them on emulators
  --exchange       a pipeline with exchanges (keyBy → windows → global), in memory: every record once
                   in the global totals, windows identical to the whole input's and the fault-free run's`;

/** `npm run chaos`: prints what was checked, then one summary line; exits 1 if any invariant broke. */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        schedules: { type: 'string', default: '100' },
        seed: { type: 'string', default: '1' },
        endpoint: { type: 'string' },
        only: { type: 'string' },
        small: { type: 'boolean', default: false },
        exchange: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`chaos: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const schedules = Number(values.schedules);
  const seed = Number(values.seed);
  const only = values.only === undefined ? undefined : Number(values.only);
  if (!Number.isInteger(schedules) || schedules < 1 || !Number.isInteger(seed) || (only !== undefined && !(Number.isInteger(only) && only >= 0))) {
    process.stderr.write(`chaos: --schedules must be an integer ≥ 1, --seed an integer and --only an index ≥ 0\n${USAGE}\n`);
    return 2;
  }
  if (values.exchange) {
    const indexes = only === undefined ? Array.from({ length: schedules }, (_, i) => i) : [only];
    const summary = await runExchangeChaos(seed, indexes, progress);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stdout.write(`${summary.describe()}\n`);
    return summary.failed.length === 0 && summary.lost === 0 && summary.duplicated === 0 ? 0 : 1;
  }
  let backend: ChaosBackend;
  if (values.endpoint === undefined) {
    backend = memoryBackend();
  } else {
    // An emulator takes any credentials; dummy ones keep a real account out of reach.
    process.env.AWS_ACCESS_KEY_ID ??= 'test';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
    backend = await endpointBackend(values.endpoint, randomBytes(4).toString('hex'), seed);
  }
  const indexes = only === undefined ? Array.from({ length: schedules }, (_, i) => i) : [only];
  let summary: ChaosSummary;
  try {
    summary = await runChaos({ backend, seed, indexes, size: values.small ? SMALL_SCHEDULE_SIZE : DEFAULT_SCHEDULE_SIZE, onProgress: progress });
  } finally {
    await backend.close();
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  process.stdout.write(`${summary.describe(`seed ${seed}, ${backend.name}`)}\n`);
  return summary.failed.length === 0 && summary.lost === 0 && summary.duplicated === 0 ? 0 : 1;
}

function progress(done: number, total: number): void {
  if (process.stderr.isTTY && (done % 10 === 0 || done === total)) process.stderr.write(`\rchaos: ${done}/${total} schedules`);
}

process.exitCode = await main(process.argv.slice(2));
