import type { ForeachBatchFn } from '../../lib/core/pipeline/op-spec';
import type { CheckpointStore } from '../../lib/ports/checkpoint-store';
import type { Clock } from '../../lib/ports/clock';
import type { Metrics } from '../../lib/ports/metrics';
import type { ObjectStore } from '../../lib/ports/object-store';
import type { SnapshotPolicy } from '../../lib/runtime/protocol/state/state-manifest';
import { BatchRetryPolicy } from '../../lib/runtime/failures/batch-retry-policy';
import { MicroBatchProcessor } from '../../lib/runtime/protocol/micro-batch-processor';
import { tokenBucketGate } from '../../lib/runtime/rate-gates/token-bucket-gate';
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
  readonly snapshotPolicy: SnapshotPolicy;
  /** Where every instance reports its batches (through its invocation's injector). */
  readonly metrics: Metrics;
}

type Ports = { checkpoints: CheckpointStore; objects: ObjectStore; sink: ForeachBatchFn; metrics: Metrics };

/** One Lambda execution environment: a processor with its warm state, running one invocation at a time. */
export class LambdaInstance {
  readonly processor: MicroBatchProcessor;
  #injector = new FaultInjector(noFaults);
  #ports: Ports;

  constructor(
    readonly id: number,
    private readonly o: PoolOptions,
  ) {
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
      getRange: (key, start, end) => this.#ports.objects.getRange(key, start, end),
      list: (prefix) => this.#ports.objects.list(prefix),
      delete: (key) => this.#ports.objects.delete(key),
    };
    const metrics: Metrics = {
      batchCommitted: (stats) => this.#ports.metrics.batchCommitted(stats),
      recordsQuarantined: (shardId, count) => this.#ports.metrics.recordsQuarantined?.(shardId, count),
    };
    const pipeline = chaosPipeline((items, info) => this.#ports.sink(items, info));
    const failurePolicy =
      o.maxBatchAttempts === undefined
        ? undefined
        : new BatchRetryPolicy({ app: o.app, pipeline, checkpoints, objects, clock: o.clock, metrics, maxAttempts: o.maxBatchAttempts });
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
      snapshotPolicy: o.snapshotPolicy,
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
    return {
      checkpoints: injector.checkpoints(this.o.checkpoints),
      objects: injector.objects(this.o.objects),
      sink: injector.sink(this.o.output.write),
      metrics: injector.metrics(this.o.metrics),
    };
  }
}
