import type { ForeachBatchFn } from '../../lib/core/pipeline/op-spec';
import type { SourceRecord } from '../../lib/core/source-record';
import type { CheckpointStore } from '../../lib/ports/checkpoint-store';
import type { Clock } from '../../lib/ports/clock';
import type { Metrics } from '../../lib/ports/metrics';
import type { ObjectStore } from '../../lib/ports/object-store';
import { BatchRetryPolicy } from '../../lib/runtime/batch-retry-policy';
import { MicroBatchProcessor, type ProcessResult } from '../../lib/runtime/micro-batch-processor';
import { tokenBucketGate } from '../../lib/runtime/token-bucket-gate';
import { FaultInjector } from '../helpers/faults/fault-injector';
import { noFaults, type FaultPlan } from '../helpers/faults/fault-plan';
import { chaosPipeline, type OutputLog } from './chaos-pipeline';

/** What a Lambda container of the schedule is built from. */
export interface PoolOptions {
  readonly app: string;
  readonly checkpoints: CheckpointStore;
  readonly objects: ObjectStore;
  readonly clock: Clock;
  readonly output: OutputLog;
  readonly walEnabled: boolean;
  readonly maxRatePerShard: number | undefined;
  /** `undefined`: no failure policy, a failing batch is retried without bound. */
  readonly maxBatchAttempts: number | undefined;
  readonly maxRecordBytes: number;
  /** Where every instance reports its batches (through its invocation's injector). */
  readonly metrics: Metrics;
}

type Ports = { checkpoints: CheckpointStore; objects: ObjectStore; sink: ForeachBatchFn; metrics: Metrics };

/** How an invocation ended, as the ESM sees it. */
export type InvocationOutcome =
  | { readonly kind: 'ok'; readonly result: ProcessResult }
  | { readonly kind: 'error'; readonly error: unknown }
  /** Stalled inside a call: the ESM gave up on it (a timeout), but it lives on as a zombie. */
  | { readonly kind: 'stalled' };

/** One Lambda execution environment: a processor with its warm state, running one invocation at a time. */
export class LambdaInstance {
  readonly processor: MicroBatchProcessor;
  #injector = new FaultInjector(noFaults);
  #ports: Ports;

  constructor(readonly id: number, private readonly o: PoolOptions) {
    this.#ports = this.#wrap(this.#injector);
    // Every port goes through the current invocation's injector, the sink included.
    const checkpoints: CheckpointStore = {
      get: (pk, sk) => this.#ports.checkpoints.get(pk, sk),
      query: (pk, prefix) => this.#ports.checkpoints.query(pk, prefix),
      transact: (writes) => this.#ports.checkpoints.transact(writes),
    };
    const objects: ObjectStore = {
      putIfAbsent: (key, body) => this.#ports.objects.putIfAbsent(key, body),
      get: (key) => this.#ports.objects.get(key),
      list: (prefix) => this.#ports.objects.list(prefix),
      delete: (key) => this.#ports.objects.delete(key),
    };
    const metrics: Metrics = {
      batchCommitted: (stats) => this.#ports.metrics.batchCommitted(stats),
      recordsQuarantined: (shardId, count) => this.#ports.metrics.recordsQuarantined?.(shardId, count),
    };
    const pipeline = chaosPipeline((items, info) => this.#ports.sink(items, info));
    const failurePolicy = o.maxBatchAttempts === undefined ? undefined : new BatchRetryPolicy({ app: o.app, pipeline, checkpoints, objects, clock: o.clock, metrics, maxAttempts: o.maxBatchAttempts });
    this.processor = new MicroBatchProcessor({
      app: o.app,
      pipeline,
      checkpoints,
      objects,
      clock: o.clock,
      walEnabled: o.walEnabled,
      maxRatePerShard: o.maxRatePerShard,
      rateGate: tokenBucketGate(),
      maxRecordBytes: o.maxRecordBytes,
      metrics,
      failurePolicy,
    });
  }

  /** The current invocation's injector. */
  get injector(): FaultInjector {
    return this.#injector;
  }

  /** Starts an invocation with its own plan: a fresh injector, alive, with nothing held. */
  startInvocation(plan: FaultPlan): FaultInjector {
    this.#injector = new FaultInjector(plan);
    this.#ports = this.#wrap(this.#injector);
    return this.#injector;
  }

  #wrap(injector: FaultInjector): Ports {
    return { checkpoints: injector.checkpoints(this.o.checkpoints), objects: injector.objects(this.o.objects), sink: injector.sink(this.o.output.write), metrics: injector.metrics(this.o.metrics) };
  }
}

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
