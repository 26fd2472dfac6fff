import type { ForeachBatchFn } from '../../../lib/core/pipeline/op-spec';
import type { CheckpointStore, StoredItem, TransactWrite } from '../../../lib/ports/checkpoint-store';
import type { Metrics } from '../../../lib/ports/metrics';
import type { ObjectStore } from '../../../lib/ports/object-store';
import type { OutputSink } from '../../../lib/ports/output-sink';
import type { ReadResult, ShardInfo, Source } from '../../../lib/ports/source';
import { FAULT_KINDS, type FaultKind, type FaultPlan, type PortCall, type PortName } from './fault-plan';
import { InjectedCrash, InjectedSinkError, InjectedTimeout, injectedServerError, injectedThrottle } from './injected-errors';

/** A fault an injector applied, and the call it hit. */
export interface InjectedFault {
  readonly kind: FaultKind;
  readonly call: PortCall;
}

/**
 * Wraps the ports one invocation uses (checkpoint store, object store, source, the user's sink,
 * metrics, print output) and applies a {@link FaultPlan} to every call through them, counted across all ports.
 *
 * One injector stands for one invocation: once it crashed, every later call fails too, since a dead
 * process writes nothing more. Stalled calls and late-landing requests wait in the injector until
 * {@link FaultInjector.release} — the schedule decides when a zombie wakes up.
 */
export class FaultInjector {
  calls = 0;
  readonly injected: InjectedFault[] = [];
  #death: InjectedCrash | undefined;
  #stalled: Array<() => void> = [];
  #stallWatchers: Array<() => void> = [];
  #late: Array<() => Promise<unknown>> = [];

  constructor(readonly plan: FaultPlan) {}

  /** True once a crash or timeout killed the invocation. */
  get dead(): boolean {
    return this.#death !== undefined;
  }

  /** Calls waiting for {@link release}: stalled calls and requests that have not landed yet. */
  get held(): number {
    return this.#stalled.length + this.#late.length;
  }

  /** Counts of the faults applied, by kind (every kind present, zeros included). */
  counts(): Record<FaultKind, number> {
    const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    for (const f of this.injected) counts[f.kind]++;
    return counts;
  }

  /** Resolves as soon as a call of this invocation is stalled (at once if one is): it became a zombie. */
  whenStalled(): Promise<void> {
    if (this.#stalled.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#stallWatchers.push(resolve));
  }

  /** Wakes the stalled calls and lands the late requests; resolves once those requests finished. */
  async release(): Promise<void> {
    const stalled = this.#stalled.splice(0);
    const late = this.#late.splice(0);
    for (const wake of stalled) wake();
    // A late request's outcome goes nowhere: its invocation is gone.
    await Promise.all(late.map((land) => land().catch(() => undefined)));
  }

  checkpoints(inner: CheckpointStore): CheckpointStore {
    return {
      get: (pk: string, sk: string) => this.#call('checkpoints', 'get', `${pk}/${sk}`, () => inner.get(pk, sk)),
      query: (pk: string, prefix?: string) => this.#call('checkpoints', 'query', `${pk}/${prefix ?? ''}`, (): Promise<StoredItem[]> => inner.query(pk, prefix)),
      transact: (writes: readonly TransactWrite[]) => this.#call('checkpoints', 'transact', describeWrites(writes), () => inner.transact(writes)),
    };
  }

  objects(inner: ObjectStore): ObjectStore {
    return {
      putIfAbsent: (key, body) => this.#call('objects', 'putIfAbsent', key, () => inner.putIfAbsent(key, body)),
      get: (key) => this.#call('objects', 'get', key, () => inner.get(key)),
      getRange: (key, start, end) => this.#call('objects', 'getRange', key, () => inner.getRange(key, start, end)),
      list: (prefix) => this.#call('objects', 'list', prefix, () => inner.list(prefix)),
      delete: (key) => this.#call('objects', 'delete', key, () => inner.delete(key)),
    };
  }

  source(inner: Source): Source {
    return {
      listShards: () => this.#call('source', 'listShards', '', (): Promise<ShardInfo[]> => inner.listShards()),
      read: (shardId, afterSeq, max) =>
        this.#call('source', 'read', `${shardId}@${afterSeq ?? 'start'}`, (): Promise<ReadResult> => inner.read(shardId, afterSeq, max)),
      committed: (shardId, seq) => this.#call('source', 'committed', `${shardId}@${seq}`, async () => inner.committed?.(shardId, seq)),
      close: inner.close === undefined ? undefined : () => inner.close!(),
    };
  }

  /** A `foreachBatch` function whose calls go through the plan as `sink` calls. */
  sink(inner: ForeachBatchFn): ForeachBatchFn {
    return (items, info) => this.#call('sink', 'foreachBatch', info.batchId, async () => inner(items, info));
  }

  /** Metrics whose calls go through the plan; a failing emitter must not break exactly-once. */
  metrics(inner: Metrics): Metrics {
    return {
      batchCommitted: (stats) => this.#sync('metrics', 'batchCommitted', `${stats.shardId}/${stats.batchNo}`, () => inner.batchCommitted(stats)),
      recordsQuarantined: (shardId, count) => this.#sync('metrics', 'recordsQuarantined', shardId, () => inner.recordsQuarantined?.(shardId, count)),
    };
  }

  /** The `print()` output (the live view, the log) through the plan, as a sync port like metrics. */
  output(inner: OutputSink): OutputSink {
    return { print: (info, operatorId, items, total) => this.#sync('output', 'print', info.batchId, () => inner.print(info, operatorId, items, total)) };
  }

  /** A synchronous call: it can only throw (before or after running), not stall or land late. */
  #sync(port: PortName, op: string, target: string, run: () => void): void {
    const n = ++this.calls;
    const kind = this.#decide({ n, port, op, target });
    if (kind !== undefined && kind !== 'crash-after' && kind !== 'stall') throw this.#fail(kind, n, `${port}.${op}`);
    run();
    if (kind === 'crash-after') throw this.#fail(kind, n, `${port}.${op}`);
  }

  async #call<T>(port: PortName, op: string, target: string, run: () => Promise<T>): Promise<T> {
    const n = ++this.calls;
    const kind = this.#decide({ n, port, op, target });
    const where = `${port}.${op} ${target}`;
    switch (kind) {
      case undefined:
        return run();
      case 'stall':
        await new Promise<void>((wake) => {
          this.#stalled.push(wake);
          for (const watcher of this.#stallWatchers.splice(0)) watcher();
        });
        if (this.#death) throw this.#death;
        return run();
      case 'crash-after':
        // Applied, then the process died before it saw the answer.
        await run().catch(() => undefined);
        throw this.#fail(kind, n, where);
      case 'timeout':
        this.#late.push(run);
        throw this.#fail(kind, n, where);
      default:
        throw this.#fail(kind, n, where);
    }
  }

  #decide(call: PortCall): FaultKind | undefined {
    // A dead invocation reaches nothing: every later call fails as the crash did.
    if (this.#death) throw this.#death;
    const kind = this.plan(call);
    if (kind !== undefined) this.injected.push({ kind, call });
    return kind;
  }

  #fail(kind: FaultKind, n: number, where: string): Error {
    switch (kind) {
      case 'throttle':
        return injectedThrottle(where);
      case 'server-error':
        return injectedServerError(where);
      case 'sink-error':
        return new InjectedSinkError(where);
      case 'timeout':
        return (this.#death = new InjectedTimeout(n, where));
      default:
        return (this.#death = new InjectedCrash(n, `${kind === 'crash-before' ? 'before' : 'after'} ${where}`));
    }
  }
}

function describeWrites(writes: readonly TransactWrite[]): string {
  const first = writes[0];
  if (first === undefined) return '(empty)';
  const key = first.kind === 'put' ? `${first.item.pk}/${first.item.sk}` : `${first.pk}/${first.sk}`;
  return writes.length === 1 ? key : `${key} +${writes.length - 1}`;
}
