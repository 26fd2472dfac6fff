import type { CompiledPipeline } from '../../lib/core/engine/compile-pipeline';
import type { CheckpointStore } from '../../lib/ports/checkpoint-store';
import type { ObjectStore } from '../../lib/ports/object-store';
import { parseRecord, type CheckpointRecord } from '../../lib/runtime/protocol/checkpoint-record';
import { readMergedState } from '../../lib/runtime/protocol/read-merged-state';
import { readQuarantine } from '../../lib/runtime/failures/read-quarantine';
import { StorageKeys } from '../../lib/runtime/protocol/storage-keys';
import type { OutputLog } from './chaos-pipeline';
import type { SinkTable } from './run-schedule';
import type { ScheduleConfig } from './schedule-config';

/** What the oracle found in one schedule's final stores. */
export interface OracleVerdict {
  /** Records neither counted nor quarantined, plus records missing from the outputs. */
  readonly lost: number;
  /** Records counted or quarantined more than once, plus records output more than once. */
  readonly duplicated: number;
  readonly recordQuarantines: number;
  readonly batchQuarantines: number;
  readonly violations: string[];
}

/**
 * Checks a schedule's end state against the exact oracle — every record of every shard is either
 * counted exactly once in the state or quarantined exactly once:
 *
 * - state: each counted record's marker has count 1, and every other word has exactly the count of
 *   the counted records that hold it;
 * - quarantine: each poison, undecodable or oversized record is in exactly one entry (WAL on: with
 *   the WAL off, quarantine entries are outputs and only at-least-once), a set-aside batch's records
 *   are in its one entry and not in the state (that entry supersedes per-record entries written by
 *   the batch's failed attempts);
 * - outputs (WAL on): every counted record's words were emitted in exactly one batch, and a batch
 *   emitted twice brought the same items;
 * - offsets: every shard's checkpoint stands at its last record.
 */
export async function checkOracle(
  config: ScheduleConfig,
  stores: { checkpoints: CheckpointStore; objects: ObjectStore; sinkTable?: SinkTable },
  pipeline: CompiledPipeline,
  output: OutputLog,
): Promise<OracleVerdict> {
  const violations: string[] = [];
  let lost = 0;
  let duplicated = 0;
  const tally = (what: string, times: number): void => {
    if (times === 1) return;
    if (times === 0) lost++;
    else duplicated++;
    if (violations.length < 20) violations.push(`${what}: ${times === 0 ? 'lost' : `${times} times`}`);
  };

  const state = (await readMergedState(stores.checkpoints, stores.objects, config.app, pipeline)) as Map<string, number>;
  const items = await readQuarantine(stores.objects, stores.checkpoints, config.app);
  const perRecord = items.flatMap((i) => (i.kind === 'record' ? [i.entry] : []));
  const batches = items.flatMap((i) => (i.kind === 'batch' ? [i.entry] : []));
  const setAside = new Map<string, number>();
  for (const b of batches) for (const r of b.records) setAside.set(`${b.shardId}/${r.seq}`, (setAside.get(`${b.shardId}/${r.seq}`) ?? 0) + 1);
  const quarantined = new Map<string, number>();
  for (const e of perRecord) if (e.seq !== undefined) quarantined.set(`${e.shardId}/${e.seq}`, (quarantined.get(`${e.shardId}/${e.seq}`) ?? 0) + 1);
  const emitted = countEmitted(output, new Set(batches.map((b) => `${b.shardId}/${b.batchNo}`)));
  // The DynamoDB sink's table: one item per marker of a batch that was not set aside (WAL on).
  const inTable =
    stores.sinkTable === undefined
      ? undefined
      : countInTable(await stores.sinkTable.items(config.app), new Set(batches.map((b) => `${b.shardId}/${b.batchNo}`)));

  const expected = new Map<string, number>();
  const markers = new Set<string>();
  for (const { shardId, records } of config.shards) {
    for (const r of records) {
      const id = `${shardId}/${r.seq} (${r.kind})`;
      const aside = setAside.get(`${shardId}/${r.seq}`) ?? 0;
      markers.add(r.marker);
      if (r.kind === 'ok') {
        tally(`${id} counted or set aside`, (state.get(r.marker) ?? 0) + aside);
        if (aside === 0) for (const w of r.words) expected.set(w, (expected.get(w) ?? 0) + 1);
        if (config.walEnabled && aside === 0) tally(`${id} in the outputs`, emitted.get(r.marker) ?? 0);
        if (config.walEnabled && aside === 0 && inTable !== undefined) tally(`${id} in the DynamoDB sink's table`, inTable.get(r.marker) ?? 0);
      } else {
        if ((state.get(r.marker) ?? 0) > 0) tally(`${id} counted although it must be quarantined`, 2);
        // A set-aside batch's entry holds all its records, also those quarantined one by one before.
        if (config.walEnabled) tally(`${id} quarantined`, aside > 0 ? aside : (quarantined.get(`${shardId}/${r.seq}`) ?? 0));
      }
    }
    const checkpoint = await readCheckpoint(stores.checkpoints, config.app, shardId);
    const last = records[records.length - 1]?.seq ?? null;
    if (checkpoint?.committedSeq !== last) violations.push(`${shardId}: committed up to ${checkpoint?.committedSeq} instead of ${last}`);
  }
  for (const [word, count] of state) {
    if (!markers.has(word) && count !== (expected.get(word) ?? 0))
      violations.push(`word ${JSON.stringify(word)}: counted ${count}, expected ${expected.get(word) ?? 0}`);
  }
  for (const [word, count] of expected) if (!markers.has(word) && !state.has(word)) violations.push(`word ${JSON.stringify(word)}: missing, expected ${count}`);
  if (config.walEnabled && output.conflicts.length > 0)
    violations.push(`batches emitted twice with different items: ${output.conflicts.slice(0, 5).join(', ')}`);
  return { lost, duplicated, recordQuarantines: perRecord.length, batchQuarantines: batches.length, violations };
}

/** How many items of the sink's table hold each marker, leaving out batches that were set aside. */
function countInTable(items: ReadonlyArray<{ word: string; shardId: string; batchNo: number }>, setAside: ReadonlySet<string>): Map<string, number> {
  const found = new Map<string, number>();
  for (const item of items) {
    if (setAside.has(`${item.shardId}/${item.batchNo}`) || !/^m\d+x\d+$/.test(item.word)) continue;
    found.set(item.word, (found.get(item.word) ?? 0) + 1);
  }
  return found;
}

/** How many emitted batches hold each marker, leaving out batches that were set aside. */
function countEmitted(output: OutputLog, setAside: ReadonlySet<string>): Map<string, number> {
  const emitted = new Map<string, number>();
  for (const b of output.batches.values()) {
    if (setAside.has(`${b.shardId}/${b.batchNo}`)) continue;
    for (const word of b.items) if (/^m\d+x\d+$/.test(word)) emitted.set(word, (emitted.get(word) ?? 0) + 1);
  }
  return emitted;
}

async function readCheckpoint(store: CheckpointStore, app: string, shardId: string): Promise<CheckpointRecord | undefined> {
  const item = await store.get(StorageKeys.shardPartition(app, shardId), StorageKeys.CHECKPOINT_SK);
  return item === undefined ? undefined : parseRecord<CheckpointRecord>(item.sk, item.data);
}
