import { SluiceError } from '../../core/errors';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { Clock } from '../../ports/clock';
import type { ControllerConfig } from './controller-config';
import type { EventSourceMappings } from '../../ports/event-source-mappings';
import type { EsmPlan } from './plan-esm-update';
import { RateControlLoop, type ControlError, type ControllerLog } from './rate-control-loop';
import { tuneEventSourceMapping } from './tune-event-source-mapping';

/** What a controller handler is built from, besides its configuration. */
export interface ControllerDeps {
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  /** Needed only when the configuration names an event source mapping. */
  readonly mappings?: EventSourceMappings;
  /** Sends idle-tick requests to the processor; needed only when the configuration names the processor function. */
  readonly idleTicker?: { request(shardId: string, idleAtMs: number): Promise<void> };
  /** @default - silent */
  readonly log?: ControllerLog;
}

/** The part of Lambda's context the controller uses. */
export interface ControllerContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

/** What one invocation did. */
export interface ControllerRunSummary {
  readonly rounds: number;
  readonly rates: Readonly<Record<string, number | undefined>>;
  readonly esm?: EsmPlan;
}

/** Time kept after the loop: the mapping check, the last log line, and Lambda's own return. */
export const CONTROLLER_RESERVE_MS = 5_000;

/**
 * Builds the controller function (docs/architecture.md §6). One invocation, started every minute by
 * EventBridge, loops every control interval until its budget or the Lambda deadline (less
 * {@link CONTROLLER_RESERVE_MS}) would be overrun, then checks the event source mapping once.
 *
 * Fail-static: every failure leaves the published rates as they are, and the processors keep
 * enforcing them. The loop goes on past a failed shard or tick; only at the end does the
 * invocation fail (so the Errors alarm sees it), with every rate it could publish already published.
 */
export function createControllerHandler(
  config: ControllerConfig,
  deps: ControllerDeps,
): (event: unknown, context: ControllerContext) => Promise<ControllerRunSummary> {
  const { clock, log } = deps;
  return async (_event, context) => {
    const startMs = clock.nowMs();
    const deadlineMs = startMs + Math.min(config.loopBudgetMs, context.getRemainingTimeInMillis() - CONTROLLER_RESERVE_MS);
    // The stream the processor reads: shards holding another stream's offsets get no rate and no tick.
    let sourceId: string | undefined;
    if (config.eventSourceMappingId !== undefined && deps.mappings !== undefined) {
      try {
        sourceId = (await deps.mappings.get(config.eventSourceMappingId)).eventSourceArn;
      } catch (error) {
        // Fail-static: the check is skipped this run; the mapping's own check below fails the run if it stays unreadable.
        log?.warn('controller: cannot read the event source mapping; shards are not checked against its stream this run', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    const loop = new RateControlLoop({
      app: config.app,
      checkpoints: deps.checkpoints,
      clock,
      estimator: config.estimator,
      controlIntervalMs: config.controlIntervalMs,
      invocationId: context.awsRequestId ?? 'unknown',
      log,
      sourceId,
      ...(config.processorFunctionName !== undefined && deps.idleTicker !== undefined
        ? { idleTicks: { afterMs: config.idleTickAfterMs, request: (shardId: string, idleAtMs: number) => deps.idleTicker!.request(shardId, idleAtMs) } }
        : {}),
    });
    const summary = await loop.run(deadlineMs);
    const errors: ControlError[] = [...summary.errors];
    let esm: EsmPlan | undefined;
    if (config.eventSourceMappingId !== undefined && deps.mappings !== undefined) {
      try {
        esm = await tuneEventSourceMapping(deps.mappings, config.eventSourceMappingId, {
          shardRates: Object.values(summary.rates).filter((r): r is number => r !== undefined),
          batchIntervalMs: config.estimator.batchIntervalMs,
          batchingWindowSeconds: config.batchingWindowSeconds,
          nowMs: clock.nowMs(),
          minUpdateIntervalMs: config.esmMinUpdateIntervalMs,
          changeFactor: config.esmChangeFactor,
        });
        log?.info(`controller: event source mapping ${esm.action === 'update' ? 'updated' : 'kept'}`, { reason: esm.reason, desired: esm.desired });
      } catch (error) {
        errors.push({ error });
        log?.warn('controller: cannot check the event source mapping; it keeps its settings', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    log?.info('controller: done', { rounds: summary.rounds, errors: errors.length, rates: summary.rates });
    if (errors.length > 0) {
      const first = errors[0]!;
      const where = first.shardId === undefined ? '' : ` (shard ${first.shardId})`;
      const message = first.error instanceof Error ? first.error.message : String(first.error);
      throw new SluiceError(
        `controller: ${errors.length} failure(s) in ${summary.rounds} round(s), first${where}: ${message}; processors keep the last published rates`,
        { cause: first.error, retryable: true },
      );
    }
    return { rounds: summary.rounds, rates: summary.rates, ...(esm === undefined ? {} : { esm }) };
  };
}
