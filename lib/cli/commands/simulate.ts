import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors';
import { CONTROLLER_KINDS } from '../../core/sim/controller-spec';
import type { ControllerSpec } from '../../core/sim/controller-spec';
import { resolveSimulationConfig, sustainableRatePerShard } from '../../core/sim/simulation-config';
import type { Admission, DelayDefinition, SimulationMode } from '../../core/sim/simulation-config';
import type { ProfileKind } from '../../core/sim/arrival-profile';
import { simulate } from '../../core/sim/simulator';
import { formatSimulationTable } from '../charts/format-simulation-table';
import { renderSimulationSvg } from '../charts/render-simulation-svg';

interface SimulateFlags {
  profile: string;
  mode: string;
  out?: string;
  json?: boolean;
  controllers: string;
  shards?: number;
  duration?: number;
  batchInterval?: number;
  overhead?: number;
  cost?: number;
  jitter?: number;
  seed?: number;
  baseRate?: number;
  factor?: number;
  start?: number;
  length?: number;
  staticRate?: number;
  initialRate?: number;
  controlInterval?: number;
  delayDefinition: string;
  admission: string;
}

/**
 * Registers `sluice simulate`: runs the deterministic rate-control simulator for each controller,
 * prints the summary table (or JSON) and, with `--out`, writes the chart as SVG.
 *
 * @example
 * sluice simulate --profile spike --out spike.svg
 * sluice simulate --profile spike --mode lambda --control-interval 5 --json
 */
export function registerSimulate(program: Command, print: (text: string) => void = (t) => process.stdout.write(`${t}\n`)): Command {
  return program
    .command('simulate')
    .description('Simulate rate control (none, static, Spark PID, sluice) under a load profile; print the summary and draw it.')
    .option('--profile <kind>', 'arrival profile: steady, spike, ramp or sine', 'spike')
    .option('--mode <mode>', "batch (Spark's timer) or lambda (ESM + controller Lambda)", 'batch')
    .option('--out <file.svg>', 'write the chart (rate, arrivals, backlog, scheduling delay) to this SVG file')
    .option('--json', 'print the summaries as JSON instead of a table')
    .option('--controllers <list>', `comma-separated subset of ${CONTROLLER_KINDS.join(',')}`, CONTROLLER_KINDS.join(','))
    .option('--shards <n>', 'shards (default 4)', Number)
    .option('--duration <seconds>', 'simulated time (default 360)', Number)
    .option('--batch-interval <ms>', 'batch interval (default 1000)', Number)
    .option('--overhead <ms>', 'fixed cost per batch (default 100)', Number)
    .option('--cost <ms>', 'cost per record (default 0.5)', Number)
    .option('--jitter <fraction>', 'per-batch cost jitter, 0 to 0.9 (default 0.1)', Number)
    .option('--seed <n>', 'seed of the cost jitter (default 7)', Number)
    .option('--base-rate <records/s>', 'base arrivals per shard (default half the sustainable rate)', Number)
    .option('--factor <x>', 'spike, ramp or sine height as a multiple of the base (default 10 for spike, else 2)', Number)
    .option('--start <seconds>', 'when the spike or ramp starts (default 60)', Number)
    .option('--length <seconds>', 'spike or ramp length, sine period (default 30 for spike, else 120)', Number)
    .option('--static-rate <records/s>', 'limit of the static controller per shard (default 90 % of sustainable)', Number)
    .option('--initial-rate <records/s>', 'rate before the first estimate (default none, as Spark)', Number)
    .option('--control-interval <seconds>', 'lambda mode: controller sampling interval (default 5)', Number)
    .option('--delay-definition <def>', 'lambda mode: scheduling delay as allowance or record-age', 'allowance')
    .option('--admission <how>', 'lambda mode: schedule (paced batches) or token-bucket (greedy)', 'schedule')
    .action(async (flags: SimulateFlags) => {
      const config = resolveSimulationConfig({
        shards: flags.shards,
        durationSeconds: flags.duration,
        batchIntervalMs: flags.batchInterval,
        batchOverheadMs: flags.overhead,
        costPerRecordMs: flags.cost,
        costJitter: flags.jitter,
        seed: flags.seed,
        initialRatePerShard: flags.initialRate,
        mode: flags.mode as SimulationMode,
        controlIntervalSeconds: flags.controlInterval,
        delayDefinition: flags.delayDefinition as DelayDefinition,
        admission: flags.admission as Admission,
        profile: {
          kind: flags.profile as ProfileKind,
          baseRatePerShard: flags.baseRate,
          factor: flags.factor,
          startSeconds: flags.start,
          lengthSeconds: flags.length,
        },
      });
      const staticRate = flags.staticRate ?? Math.floor(0.9 * sustainableRatePerShard(config));
      const result = simulate(config, parseControllers(flags.controllers, staticRate));
      print(
        flags.json
          ? JSON.stringify(
              result.runs.map((r) => ({ controller: r.controller, ...r.summary })),
              (_, v: unknown) => (v === Infinity ? 'Infinity' : v),
              2,
            )
          : formatSimulationTable(result),
      );
      if (flags.out !== undefined) {
        await mkdir(dirname(flags.out), { recursive: true });
        await writeFile(flags.out, await renderSimulationSvg(result, `sluice simulate --profile ${config.profile.kind} --mode ${config.mode}`));
        print(`wrote ${flags.out}`);
      }
    });
}

function parseControllers(list: string, staticRate: number): ControllerSpec[] {
  return list.split(',').map((name): ControllerSpec => {
    switch (name.trim()) {
      case 'none':
        return { kind: 'none' };
      case 'static':
        return { kind: 'static', ratePerShard: staticRate };
      case 'spark-pid':
        return { kind: 'spark-pid' };
      case 'sluice':
        return { kind: 'sluice' };
      default:
        throw new ConfigError('simulate.controllers', `must list some of ${CONTROLLER_KINDS.join(', ')} (given ${JSON.stringify(name)})`);
    }
  });
}
