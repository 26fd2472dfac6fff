import { compareSeq } from '../../lib/core/source-record';
import type { FakeClock } from '../helpers/fake-clock';
import { noFaults, randomFaults, type FaultPlan } from '../helpers/faults/fault-plan';
import type { ChaosRecord } from './chaos-records';
import type { InvocationOutcome, LambdaPool } from './lambda-pool';
import type { ScheduleConfig } from './schedule-config';

/** What the ESM model may do at a step, with its weight. */
const ACTIONS = { deliver: 40, redeliver: 8, duplicate: 10, concurrent: 14, wakeZombie: 14, landLate: 8, wait: 6 } as const;
type Action = keyof typeof ACTIONS;

/**
 * A Kinesis event source mapping at its worst, within what AWS documents: it delivers each shard's
 * records in order from its own checkpoint, but cuts every retry at another boundary, redelivers
 * what it already delivered, invokes the same batch twice or concurrently, gives up on stalled
 * invocations that live on as zombies, and lets requests of dead invocations land late.
 *
 * Its checkpoint moves only on the answer of the invocation it is waiting for: to the first record
 * the processor deferred, or past the batch. If the processor ever answers "done" for a record it
 * did not commit, that record is never delivered again, and the oracle sees it lost.
 */
export class ChaosEsm {
  readonly violations: string[] = [];
  readonly #positions = new Map<string, number>();

  constructor(
    readonly config: ScheduleConfig,
    readonly pool: LambdaPool,
    readonly clock: FakeClock,
    readonly random: () => number,
  ) {
    for (const shard of config.shards) this.#positions.set(shard.shardId, 0);
  }

  /** Runs the schedule's random steps, faults on. */
  async run(): Promise<void> {
    for (let step = 0; step < this.config.steps; step++) {
      await this.clock.advance(Math.floor(this.random() * 400));
      await this.#act(this.#pickAction(), this.config.shards[Math.floor(this.random() * this.config.shards.length)]!);
    }
  }

  /** Wakes every zombie, lands every late request, then delivers what is left with no faults. */
  async drain(): Promise<void> {
    await this.pool.settleAll();
    for (const shard of this.config.shards) {
      const limit = shard.records.length * 2 + 100;
      for (let round = 0; this.#positions.get(shard.shardId)! < shard.records.length; round++) {
        if (round >= limit) {
          this.violations.push(
            `${shard.shardId}: stuck at record ${this.#positions.get(shard.shardId)} of ${shard.records.length} after ${limit} fault-free deliveries`,
          );
          break;
        }
        await this.clock.advance(1_000);
        const outcome = await this.#deliver(shard, this.#positions.get(shard.shardId)!, this.config.batchSize, noFaults, true);
        if (outcome.kind !== 'ok') {
          this.violations.push(`${shard.shardId}: a fault-free delivery failed: ${outcome.kind === 'error' ? String(outcome.error) : 'stalled'}`);
          break;
        }
      }
    }
  }

  async #act(action: Action, shard: ScheduleConfig['shards'][number]): Promise<void> {
    const position = this.#positions.get(shard.shardId)!;
    const size = (): number => 1 + Math.floor(this.random() * this.config.batchSize);
    switch (action) {
      case 'deliver':
        await this.#deliver(shard, position, size(), this.#plan(), this.#warm());
        break;
      case 'redeliver':
        // The ESM lost its checkpoint (or a shard moved to another poller): records come again.
        this.#positions.set(shard.shardId, Math.floor(this.random() * (position + 1)));
        await this.#deliver(shard, this.#positions.get(shard.shardId)!, size(), this.#plan(), this.#warm());
        break;
      case 'duplicate': {
        const n = size();
        await this.#deliver(shard, position, n, this.#plan(), this.#warm());
        await this.#deliver(shard, position, n, this.#plan(), this.#warm());
        break;
      }
      case 'concurrent': {
        const others = 1 + Math.floor(this.random() * 2);
        const live = this.#deliver(shard, position, size(), this.#plan(), this.#warm());
        // The others' answers go nowhere: only one invocation is the one the ESM waits for.
        const extra = Array.from({ length: others }, () =>
          this.pool.invoke(shard.shardId, shard.records.slice(position, position + size()), this.#plan(), this.#warm()),
        );
        await Promise.all([live, ...extra]);
        break;
      }
      case 'wakeZombie':
        if (this.pool.zombies.length > 0) await this.pool.wakeZombie(Math.floor(this.random() * this.pool.zombies.length));
        break;
      case 'landLate':
        if (this.pool.late.length > 0) await this.pool.landLate(Math.floor(this.random() * this.pool.late.length));
        break;
      case 'wait':
        await this.clock.advance(1_000 + Math.floor(this.random() * 2_000));
        break;
    }
  }

  /** One invocation the ESM waits for; its answer moves the shard's checkpoint. */
  async #deliver(shard: ScheduleConfig['shards'][number], from: number, size: number, plan: FaultPlan, warm: boolean): Promise<InvocationOutcome> {
    const records = shard.records.slice(from, from + size);
    if (records.length === 0) return { kind: 'ok', result: { batches: [], deferredFromSeq: undefined, committedSeq: null, fenced: 0 } };
    const outcome = await this.pool.invoke(shard.shardId, records, plan, warm);
    if (outcome.kind === 'ok') this.#positions.set(shard.shardId, from + this.#acknowledged(shard.shardId, records, outcome));
    return outcome;
  }

  /** Records of the delivery the answer acknowledges (ReportBatchItemFailures at the deferred one). */
  #acknowledged(shardId: string, records: readonly ChaosRecord[], outcome: InvocationOutcome & { kind: 'ok' }): number {
    const { deferredFromSeq, committedSeq } = outcome.result;
    if (deferredFromSeq === undefined) {
      const last = records[records.length - 1]!.seq;
      if (committedSeq === null || compareSeq(committedSeq, last) < 0) {
        this.violations.push(`${shardId}: answered "all done" for a delivery up to ${last} with the shard committed up to ${committedSeq}`);
      }
      return records.length;
    }
    const index = records.findIndex((r) => r.seq === deferredFromSeq);
    if (index < 0) this.violations.push(`${shardId}: deferred from ${deferredFromSeq}, which is not a record of the delivery`);
    return Math.max(0, index);
  }

  #plan(): FaultPlan {
    return randomFaults(this.random, this.config.faultRates);
  }

  #warm(): boolean {
    return this.random() < 0.7;
  }

  #pickAction(): Action {
    const total = Object.values(ACTIONS).reduce((a, b) => a + b, 0);
    let draw = this.random() * total;
    for (const [action, weight] of Object.entries(ACTIONS) as Array<[Action, number]>) {
      if (draw < weight) return action;
      draw -= weight;
    }
    return 'deliver';
  }
}
