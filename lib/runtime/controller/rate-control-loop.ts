import { FencedError } from '../../core/errors';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { Clock } from '../../ports/clock';
import { parseCheckpoint, type CheckpointRecord } from '../protocol/checkpoint-record';
import { describeError } from '../protocol/quarantine';
import { mapLimited } from '../protocol/map-limited';
import { sourceMismatchError } from '../protocol/source-mismatch-error';
import { StorageKeys } from '../protocol/storage-keys';
import { controlWrite, readControlItem } from './control-item';
import type { EstimatorConfig } from './create-rate-estimator';
import { nextControlItem } from './next-control-item';
import { ControllerEnvironment, ProcessorEnvironment } from '../lambda/function-environment';
import { sleepUnlessAborted } from '../local-driver/sleep-unless-aborted';

/** Where the controller logs; Powertools' `Logger` fits, tests pass a recorder. */
export interface ControllerLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

/** Options of {@link RateControlLoop}. */
export interface RateControlLoopOptions {
  readonly app: string;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly estimator: EstimatorConfig;
  /** Time between two samples of the same shard. */
  readonly controlIntervalMs: number;
  /** An idle shard's control item is rewritten this often, to refresh its heartbeat. @default 60_000 */
  readonly heartbeatIntervalMs?: number;
  /** Stamped on each heartbeat (the Lambda request id). @default 'local' */
  readonly invocationId?: string;
  /** Shards sampled at once. @default 16 */
  readonly concurrency?: number;
  /** @default - silent */
  readonly log?: ControllerLog;
  /** Ticks quiet shards whose arrival-time windows wait for one (docs/decisions/0007). @default - none */
  readonly idleTicks?: IdleTickOptions;
  /**
   * The stream the app's processor reads (its ARN): a shard whose checkpoint holds the offsets of
   * another stream is refused (no rate, no tick; the tick's errors name both). @default - unchecked
   */
  readonly sourceId?: string;
  /** Named in that refusal as the setting that gives a stream an app of its own. @default 'SLUICE_APP, APP_NAME' */
  readonly appSetting?: string;
}

/**
 * How the controller asks for idle ticks of quiet shards on Lambda, where the event source mapping invokes the
 * processor only with records: a shard that committed nothing for `afterMs`, and whose checkpoint
 * says a tick at `now - afterMs` would close a window (`tickDueAtMs`), gets `request(shardId, now -
 * afterMs)`. `afterMs` must exceed how long a record can wait for its delivery (the batching window
 * plus the mapping's polling), so that no record still to come arrived before that idle time.
 */
export interface IdleTickOptions {
  readonly afterMs: number;
  /** Asks the processor to run `MicroBatchProcessor.idleTick(shardId, idleAtMs)` (an asynchronous Lambda invoke). */
  request(shardId: string, idleAtMs: number): Promise<void>;
}

/** A failure of one tick, for one shard or (without `shardId`) for the listing of shards. */
export interface ControlError {
  readonly shardId?: string;
  readonly error: unknown;
}

/** What one tick did. */
export interface RoundResult {
  readonly atMs: number;
  /** The rate each shard is at after the tick (published now or before); `undefined` = none yet. */
  readonly rates: Readonly<Record<string, number | undefined>>;
  readonly written: number;
  /** Writes lost to another controller run that wrote the same control item first. */
  readonly contended: number;
  readonly errors: readonly ControlError[];
}

/** What {@link RateControlLoop.run} did before its deadline. */
export interface LoopSummary {
  readonly rounds: number;
  readonly errors: readonly ControlError[];
  readonly rates: Readonly<Record<string, number | undefined>>;
}

/**
 * The controller's loop (docs/architecture.md §6): every control interval, for each shard of the app,
 * one consistent query of its `meta#` items, one estimate, one conditional Put of `meta#control`.
 *
 * Stateless between rounds: the PID state and the last sample are read from the control item each
 * time, so a new invocation, an overlapping one or a tick after a failed write all go on from what
 * is stored. Fail-static: a tick never throws; a shard that cannot be read or written keeps its
 * published rate, and the processors go on enforcing it.
 */
export class RateControlLoop {
  readonly #o: RateControlLoopOptions;

  constructor(options: RateControlLoopOptions) {
    this.#o = options;
  }

  /** Samples every shard once and publishes new rates. Never throws; errors are returned. */
  async round(): Promise<RoundResult> {
    const atMs = this.#o.clock.nowMs();
    let shardIds: string[];
    try {
      shardIds = await this.#listShards();
    } catch (error) {
      this.#o.log?.warn('controller: cannot list shards; published rates stay as they are', { error: describeError(error).reason });
      return { atMs, rates: {}, written: 0, contended: 0, errors: [{ error }] };
    }
    const rates: Record<string, number | undefined> = {};
    const errors: ControlError[] = [];
    let written = 0;
    let contended = 0;
    await mapLimited(shardIds, this.#o.concurrency ?? 16, async (shardId) => {
      let checkpoint: CheckpointRecord | undefined;
      try {
        const outcome = await this.#controlShard(shardId, atMs);
        checkpoint = outcome.checkpoint;
        rates[shardId] = outcome.rate;
        if (outcome.written) written++;
        if (outcome.contended) contended++;
      } catch (error) {
        errors.push({ shardId, error });
        this.#o.log?.warn('controller: shard skipped this tick; its published rate stays', { shardId, error: describeError(error).reason });
        return;
      }
      try {
        await this.#tickIfQuiet(shardId, checkpoint, atMs);
      } catch (error) {
        errors.push({ shardId, error });
        this.#o.log?.warn("controller: cannot request an idle tick; the shard's open windows wait for its next record or tick", {
          shardId,
          error: describeError(error).reason,
        });
      }
    });
    return { atMs, rates, written, contended, errors };
  }

  /**
   * Ticks every control interval until the next tick could end after `deadlineMs` (judged by the
   * longest tick so far), so an invocation never runs past the time it was given.
   */
  async run(deadlineMs: number): Promise<LoopSummary> {
    const { clock, controlIntervalMs } = this.#o;
    const errors: ControlError[] = [];
    let rates: Record<string, number | undefined> = {};
    let rounds = 0;
    let longestMs = 0;
    for (let startMs = clock.nowMs(); startMs + longestMs <= deadlineMs; startMs = clock.nowMs()) {
      const result = await this.round();
      rounds++;
      errors.push(...result.errors);
      rates = { ...rates, ...result.rates };
      longestMs = Math.max(longestMs, clock.nowMs() - startMs);
      const nextMs = startMs + controlIntervalMs;
      if (nextMs + longestMs > deadlineMs) break;
      await clock.sleep(nextMs - clock.nowMs());
    }
    return { rounds, errors, rates };
  }

  /**
   * Ticks every control interval until `signal` aborts: the controller of `sluice dev`, which runs
   * alongside the local event source mapping for as long as it does. Errors are the tick's, logged.
   */
  async runUntilAborted(signal: AbortSignal): Promise<void> {
    const { clock, controlIntervalMs } = this.#o;
    while (!signal.aborted) {
      await this.round();
      if (signal.aborted) return;
      await sleepUnlessAborted(clock, controlIntervalMs, signal);
    }
  }

  async #listShards(): Promise<string[]> {
    const items = await this.#o.checkpoints.query(StorageKeys.appPartition(this.#o.app), StorageKeys.SHARD_PREFIX);
    return items.map((item) => item.sk.slice(StorageKeys.SHARD_PREFIX.length));
  }

  async #controlShard(
    shardId: string,
    nowMs: number,
  ): Promise<{ rate: number | undefined; written: boolean; contended: boolean; checkpoint: CheckpointRecord | undefined }> {
    const { app, checkpoints } = this.#o;
    const pk = StorageKeys.shardPartition(app, shardId);
    // Checkpoint and control item in one consistent query, as the processors read them.
    const items = await checkpoints.query(pk, StorageKeys.META_PREFIX);
    const cpItem = items.find((i) => i.sk === StorageKeys.CHECKPOINT_SK);
    const checkpoint = cpItem && parseCheckpoint(`${pk}/${cpItem.sk}`, cpItem.data);
    const { sourceId } = this.#o;
    if (sourceId !== undefined && checkpoint?.sourceId !== undefined && checkpoint.sourceId !== sourceId) {
      throw sourceMismatchError(app, shardId, checkpoint, sourceId, this.#o.appSetting ?? `${ControllerEnvironment.APP}, ${ProcessorEnvironment.APP_NAME}`);
    }
    const { control: previous, version } = readControlItem(items.find((i) => i.sk === StorageKeys.CONTROL_SK));
    const next = nextControlItem({
      nowMs,
      checkpoint,
      previous,
      estimator: this.#o.estimator,
      invocationId: this.#o.invocationId ?? 'local',
      heartbeatIntervalMs: this.#o.heartbeatIntervalMs ?? 60_000,
    });
    if (next === undefined) return { rate: previous?.rateLimit, written: false, contended: false, checkpoint };
    try {
      await checkpoints.transact([controlWrite(app, shardId, next, version)]);
    } catch (error) {
      // Another controller run (an overlapping invocation) wrote first: its estimate stands.
      if (error instanceof FencedError) return { rate: previous?.rateLimit, written: false, contended: true, checkpoint };
      throw error;
    }
    if (next.rateLimit !== previous?.rateLimit) {
      this.#o.log?.info('controller: rate published', {
        shardId,
        rateLimit: next.rateLimit,
        previous: previous?.rateLimit,
        terms: next.terms,
        inputs: next.inputs,
      });
    }
    return { rate: next.rateLimit, written: true, contended: false, checkpoint };
  }

  /** Requests an idle tick for a shard that has been quiet for `afterMs` and whose windows wait for one. */
  async #tickIfQuiet(shardId: string, checkpoint: CheckpointRecord | undefined, nowMs: number): Promise<void> {
    const idle = this.#o.idleTicks;
    if (idle === undefined || checkpoint?.tickDueAtMs === undefined) return;
    const idleAtMs = nowMs - idle.afterMs;
    // Quiet since the last batch of records: a tick's own commit does not restart the wait.
    const lastRecordsAtMs = checkpoint.recordsCommittedAtMs ?? checkpoint.updatedAtMs;
    if (lastRecordsAtMs > idleAtMs || checkpoint.tickDueAtMs > idleAtMs) return;
    await idle.request(shardId, idleAtMs);
    this.#o.log?.info('controller: idle tick requested', { shardId, idleAtMs, tickDueAtMs: checkpoint.tickDueAtMs, lastRecordsAtMs });
  }
}
