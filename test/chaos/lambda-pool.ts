import type { SourceRecord } from '../../lib/core/source-record';
import type { ProcessResult } from '../../lib/runtime/protocol/micro-batch-processor';
import type { FaultInjector } from '../helpers/faults/fault-injector';
import type { FaultPlan } from '../helpers/faults/fault-plan';
import { LambdaInstance, type PoolOptions } from './lambda-instance';

/** How an invocation ended, as the ESM sees it. */
export type InvocationOutcome =
  | { readonly kind: 'ok'; readonly result: ProcessResult }
  | { readonly kind: 'error'; readonly error: unknown }
  /** Stalled inside a call: the ESM gave up on it (a timeout), but it lives on as a zombie. */
  | { readonly kind: 'stalled' };

/**
 * The schedule's Lambda fleet: warm instances are reused (their state cache with them), an instance
 * whose invocation crashed is discarded as Lambda discards a timed-out or killed environment, and a
 * zombie keeps its instance busy until it finishes.
 */
export class LambdaPool {
  readonly #o: PoolOptions;
  readonly #idle: LambdaInstance[] = [];
  /** Injectors of dead invocations whose requests have not landed yet. */
  readonly late: FaultInjector[] = [];
  /** Invocations the ESM gave up on while they were stalled. */
  readonly zombies: Array<{ instance: LambdaInstance; running: Promise<InvocationOutcome> }> = [];
  invocations = 0;
  /** Commits lost to another invocation, and batches re-run from their WAL object: the recovery paths taken. */
  fenced = 0;
  replayed = 0;
  #nextId = 0;

  constructor(options: PoolOptions) {
    this.#o = options;
  }

  /** Faults applied so far by every invocation. */
  readonly injectors: FaultInjector[] = [];

  /** Runs one invocation on a warm instance (when `warm` and one is idle) or a cold one. */
  async invoke(shardId: string, records: readonly SourceRecord[], plan: FaultPlan, warm: boolean): Promise<InvocationOutcome> {
    const instance = (warm ? this.#idle.pop() : undefined) ?? new LambdaInstance(this.#nextId++, this.#o);
    this.injectors.push(instance.startInvocation(plan));
    this.invocations++;
    const running = this.#settle(instance, instance.processor.process({ shardId, records }));
    return this.#watch(instance, running);
  }

  /** Wakes one zombie (and lands its late requests); resolves when it finished or stalled again. */
  async wakeZombie(index: number): Promise<void> {
    const [zombie] = this.zombies.splice(index, 1);
    if (zombie === undefined) return;
    const woken = zombie.instance.injector.release();
    await this.#watch(zombie.instance, zombie.running);
    await woken;
  }

  /** Lands the late requests of one dead invocation. */
  async landLate(index: number): Promise<void> {
    const [injector] = this.late.splice(index, 1);
    await injector?.release();
  }

  /** Wakes every zombie and lands every late request, until none is left (zombies may stall again). */
  async settleAll(maxRounds = 1_000): Promise<void> {
    for (let round = 0; round < maxRounds && (this.zombies.length > 0 || this.late.length > 0); round++) {
      while (this.late.length > 0) await this.landLate(0);
      while (this.zombies.length > 0) await this.wakeZombie(0);
    }
    if (this.zombies.length > 0 || this.late.length > 0) throw new Error(`zombies still stalled after ${maxRounds} rounds`);
  }

  async #watch(instance: LambdaInstance, running: Promise<InvocationOutcome>): Promise<InvocationOutcome> {
    const stalled = instance.injector.whenStalled().then((): InvocationOutcome => ({ kind: 'stalled' }));
    const outcome = await Promise.race([running, stalled]);
    if (outcome.kind === 'stalled') this.zombies.push({ instance, running });
    return outcome;
  }

  /** Returns the instance to the pool when its invocation ends, unless the invocation killed it. */
  async #settle(instance: LambdaInstance, work: Promise<ProcessResult>): Promise<InvocationOutcome> {
    let outcome: InvocationOutcome;
    try {
      outcome = { kind: 'ok', result: await work };
      this.fenced += outcome.result.fenced;
      this.replayed += outcome.result.batches.filter((b) => b.replayed).length;
    } catch (error) {
      outcome = { kind: 'error', error };
    }
    if (instance.injector.dead) {
      if (instance.injector.held > 0) this.late.push(instance.injector);
    } else {
      this.#idle.push(instance);
    }
    return outcome;
  }
}
