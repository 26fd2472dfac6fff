import type { CheckpointStore, TransactWrite } from '../../ports/checkpoint-store';
import { parseRecord } from '../protocol/checkpoint-record';
import { StorageKeys } from '../protocol/storage-keys';

/**
 * The item `{app}` / `replay#status` of an app built by `sluice replay`: written before the first
 * batch with `complete: false`, rewritten with `complete: true` after the last. An app whose replay
 * stopped (killed, a failing batch) says so, instead of looking like a finished replay.
 */
export interface ReplayStatus {
  readonly sourceApp: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly complete: boolean;
  /** WAL batches replayed, once complete. */
  readonly batches?: number;
}

/** The write that records `status` for `app`. */
export function replayStatusWrite(app: string, status: ReplayStatus): TransactWrite {
  return {
    kind: 'put',
    item: { pk: StorageKeys.appPartition(app), sk: StorageKeys.REPLAY_STATUS_SK, version: status.complete ? 2 : 1, data: JSON.stringify(status) },
  };
}

/**
 * Records that a replay of `sourceApp` over [fromMs, toMs) into `app` started; the returned function
 * records that it finished, after `batches` WAL batches.
 */
export async function startReplayStatus(
  checkpoints: CheckpointStore,
  app: string,
  range: { readonly sourceApp: string; readonly fromMs?: number; readonly toMs?: number },
): Promise<(batches: number) => Promise<void>> {
  const status: ReplayStatus = {
    sourceApp: range.sourceApp,
    ...(range.fromMs === undefined ? {} : { fromMs: range.fromMs }),
    ...(range.toMs === undefined ? {} : { toMs: range.toMs }),
    complete: false,
  };
  await checkpoints.transact([replayStatusWrite(app, status)]);
  return async (batches) => {
    await checkpoints.transact([replayStatusWrite(app, { ...status, complete: true, batches })]);
  };
}

/** The replay status of `app`, or `undefined` when it was not built by a replay. */
export async function readReplayStatus(checkpoints: CheckpointStore, app: string): Promise<ReplayStatus | undefined> {
  const item = await checkpoints.get(StorageKeys.appPartition(app), StorageKeys.REPLAY_STATUS_SK);
  return item === undefined ? undefined : parseRecord<ReplayStatus>(`${item.pk}/${item.sk}`, item.data);
}
