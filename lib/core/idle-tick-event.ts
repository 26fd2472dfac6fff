import { CorruptDataError } from './errors';

/**
 * The event the controller sends the processor function to tick a quiet shard (docs/decisions/0007):
 * on Lambda the event source mapping invokes the processor only with records, so arrival-time
 * windows of a shard that went quiet would wait for its next record.
 */
export interface IdleTickEvent {
  readonly sluiceIdleTick: {
    readonly shardId: string;
    /** No record still to come arrived before this time (ms since the epoch). */
    readonly idleAtMs: number;
  };
}

export function idleTickEvent(shardId: string, idleAtMs: number): IdleTickEvent {
  return { sluiceIdleTick: { shardId, idleAtMs } };
}

/**
 * The tick an event asks for, or `undefined` when the event is not a tick (a Kinesis event). A tick
 * event of the wrong shape is refused with a `CorruptDataError` naming what is wrong.
 */
export function decodeIdleTickEvent(event: unknown): IdleTickEvent['sluiceIdleTick'] | undefined {
  if (event === null || typeof event !== 'object' || !('sluiceIdleTick' in event)) return undefined;
  const tick = (event as { sluiceIdleTick: unknown }).sluiceIdleTick as Partial<IdleTickEvent['sluiceIdleTick']> | null;
  if (
    tick === null ||
    typeof tick !== 'object' ||
    typeof tick.shardId !== 'string' ||
    tick.shardId === '' ||
    typeof tick.idleAtMs !== 'number' ||
    !Number.isFinite(tick.idleAtMs)
  ) {
    throw new CorruptDataError(
      'idle tick event',
      `needs sluiceIdleTick.shardId (a shard id) and sluiceIdleTick.idleAtMs (ms since the epoch), got ${JSON.stringify(tick)}`,
    );
  }
  return { shardId: tick.shardId, idleAtMs: tick.idleAtMs };
}
