import { parseArgs } from 'node:util';
import { MemoryCheckpointStore } from '../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../lib/adapters/local/memory-object-store';
import { compileStages, stageApp, type StagedPipeline } from '../lib/core/engine/compile-stages';
import { pipeline, type Stream } from '../lib/core/pipeline/stream';
import type { SourceRecord } from '../lib/core/source-record';
import { topK } from '../lib/core/util/top-k';
import type { CheckpointStore } from '../lib/ports/checkpoint-store';
import type { ExchangeWriter } from '../lib/ports/exchange';
import type { ObjectStore } from '../lib/ports/object-store';
import { parseRecord, type CheckpointRecord } from '../lib/runtime/protocol/checkpoint-record';
import { ObjectStoreExchange } from '../lib/runtime/local-driver/object-store-exchange';
import { MicroBatchProcessor } from '../lib/runtime/protocol/micro-batch-processor';
import { StorageKeys } from '../lib/runtime/protocol/storage-keys';
import { PRICES } from './aws-meter';

/**
 * `npm run bench -- exchange [--records N] [--shards S] [--partitions P]`: what an exchange costs
 * per million records, counted at the ports: Kinesis PUT payload units of the exchange, processor
 * invocations (one per batch of a stage's shard), DynamoDB transactions and their write units, S3
 * PUT/GET/LIST — for a word count whose totals are per shard (no exchange, the baseline), and for
 * the same counts made global by `keyBy` with and without the map-side combine. Prices are list
 * prices (aws-meter.ts; Kinesis $0.014 per million PUT payload units, provisioned mode).
 * Lambda duration is not counted: it is the work itself, which an exchange splits, not adds.
 */
const KINESIS_PUT_UNIT = 0.014 / 1e6;
/** On-demand mode instead charges $0.08 per GB written, each record rounded up to 1 KB. */
const KINESIS_ON_DEMAND_GB = 0.08 / 2 ** 30;
const PUT_UNIT_BYTES = 25 * 1024;
const RECORDS_PER_BATCH = 1_000;
const WORDS_PER_LINE = 8;

interface Meter {
  invocations: number;
  transactions: number;
  wru: number;
  s3Put: number;
  s3Get: number;
  s3List: number;
  kinesisRecords: number;
  kinesisPutUnits: number;
  kinesisBytes: number;
  /** Bytes as on-demand mode bills them: each record rounded up to 1 KB. */
  kinesisBilledBytes: number;
}

function pipelines(): Record<string, Stream<unknown>> {
  const words = (name: string): Stream<string> =>
    pipeline(name)
      .flatMap((line: string) => line.split(' '))
      .filter((w) => w.length > 0);
  const totals = <T>(s: Stream<T>, ops: (s: Stream<T>) => Stream<[string, number]>): Stream<[string, number]> =>
    ops(s).updateStateByKey<string, number, number>((ns, total = 0) => ns.reduce((a, b) => a + b, total), { name: 'totals' });
  return {
    'per shard (no exchange)': totals(words('bench-no-exchange'), (s) => s.countByValue()) as Stream<unknown>,
    'keyBy, map-side combine': totals(words('bench-combine'), (s) => s.keyBy((w) => w).countByValue())
      .transform((t) => topK(t, 10, ([, n]) => n))
      .global()
      .updateStateByKey<string, number, number>((latest) => latest[latest.length - 1], { name: 'leaders' }) as Stream<unknown>,
    'keyBy, no combine': totals(words('bench-no-combine'), (s) => s.keyBy((w) => w, { combine: false }).countByValue())
      .transform((t) => topK(t, 10, ([, n]) => n))
      .global()
      .updateStateByKey<string, number, number>((latest) => latest[latest.length - 1], { name: 'leaders' }) as Stream<unknown>,
  };
}

function corpus(records: number, shards: number): SourceRecord[][] {
  const encoder = new TextEncoder();
  let s = 12345;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2147483648) >>> 12;
  const out: SourceRecord[][] = Array.from({ length: shards }, () => []);
  for (let i = 0; i < records; i++) {
    // Zipf-like over 50,000 words: a few hot, a long tail.
    const line = Array.from({ length: WORDS_PER_LINE }, () => `w${Math.floor(50_000 * Math.pow((next() % 100_000) / 100_000, 3))}`).join(' ');
    const shard = out[i % shards]!;
    shard.push({ seq: String(shard.length + 1), arrivalMs: 1_700_000_000_000 + i, partitionKey: String(i), data: encoder.encode(line) });
  }
  return out;
}

async function measure(staged: StagedPipeline, input: SourceRecord[][]): Promise<Meter> {
  const m: Meter = {
    invocations: 0,
    transactions: 0,
    wru: 0,
    s3Put: 0,
    s3Get: 0,
    s3List: 0,
    kinesisRecords: 0,
    kinesisPutUnits: 0,
    kinesisBytes: 0,
    kinesisBilledBytes: 0,
  };
  const checkpointsInner = new MemoryCheckpointStore();
  const objectsInner = new MemoryObjectStore();
  const checkpoints: CheckpointStore = {
    get: (pk, sk) => checkpointsInner.get(pk, sk),
    query: (pk, p) => checkpointsInner.query(pk, p),
    transact: async (writes) => {
      m.transactions++;
      // A transactional write costs 2 WRU per started KB of each item (attributes and names, ~60 bytes of keys).
      for (const w of writes) if (w.kind === 'put') m.wru += 2 * Math.ceil((Buffer.byteLength(w.item.data) + 60) / 1024);
      return checkpointsInner.transact(writes);
    },
  };
  const objects: ObjectStore = {
    putIfAbsent: (k, b) => (m.s3Put++, objectsInner.putIfAbsent(k, b)),
    get: (k) => (m.s3Get++, objectsInner.get(k)),
    getRange: (k, a, b) => (m.s3Get++, objectsInner.getRange(k, a, b)),
    list: (p) => (m.s3List++, objectsInner.list(p)),
    delete: (k) => objectsInner.delete(k),
  };
  // The exchange log lives apart: on AWS it is the Kinesis stream, metered by its PUT payload units.
  const exchangeObjects = new MemoryObjectStore();
  const clock = { nowMs: () => 1_700_000_000_000, sleep: async () => undefined };
  const exchanges = staged.stages
    .slice(0, -1)
    .map(
      (stage, s) =>
        new ObjectStoreExchange({ objects: exchangeObjects, stageApp: stageApp(staged.name, s + 1), partitions: stage.sends!.partitions, nowMs: clock.nowMs }),
    );
  const shardIds: string[][] = [input.map((_, i) => `shard-${i}`)];
  for (const e of exchanges) shardIds.push((await e.listShards()).map((x) => x.shardId));
  const processors = staged.stages.map((stage, s) => {
    const writer: ExchangeWriter | undefined =
      stage.sends === undefined
        ? undefined
        : {
            put: async (p, records) => {
              for (const r of records) {
                m.kinesisRecords++;
                m.kinesisBytes += r.byteLength;
                m.kinesisBilledBytes += Math.max(1, Math.ceil(r.byteLength / 1024)) * 1024;
                m.kinesisPutUnits += Math.max(1, Math.ceil(r.byteLength / PUT_UNIT_BYTES));
              }
              await exchanges[s]!.put(p, records);
            },
          };
    return new MicroBatchProcessor({
      app: stageApp(staged.name, s),
      pipeline: stage,
      checkpoints,
      objects,
      clock,
      exchangeWriter: writer,
      exchangeOrigins: s === 0 ? undefined : shardIds[s - 1],
    });
  });
  for (let round = 0; ; round++) {
    let moved = false;
    for (let s = 0; s < staged.stages.length; s++) {
      for (const shardId of shardIds[s]!) {
        const item = await checkpointsInner.get(StorageKeys.shardPartition(stageApp(staged.name, s), shardId), StorageKeys.CHECKPOINT_SK);
        const committed = item === undefined ? 0 : Number(parseRecord<CheckpointRecord>(item.sk, item.data).committedSeq);
        const records =
          s === 0
            ? input[Number(shardId.slice(6))]!.slice(committed, committed + RECORDS_PER_BATCH)
            : (await exchanges[s - 1]!.read(shardId, committed === 0 ? undefined : String(committed), RECORDS_PER_BATCH)).records;
        if (records.length === 0) continue;
        const result = await processors[s]!.process({ shardId, records });
        m.invocations++;
        if (result.batches.length > 0) moved = true;
      }
    }
    if (!moved || round > 100_000) break;
  }
  return m;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { records: { type: 'string', default: '200000' }, shards: { type: 'string', default: '4' } } });
  const records = Number(values.records);
  const shards = Number(values.shards);
  const input = corpus(records, shards);
  console.log(
    `exchange bench: ${records.toLocaleString('en-US')} lines of ${WORDS_PER_LINE} words (Zipf over 50,000) on ${shards} shards, ${RECORDS_PER_BATCH} records per batch, exchange of 4 partitions then global; per million records:`,
  );
  const scale = 1e6 / records;
  const rows: Array<[string, Meter]> = [];
  for (const [name, stream] of Object.entries(pipelines())) rows.push([name, await measure(compileStages(stream), input)]);
  const dollars = (m: Meter): number =>
    m.kinesisPutUnits * KINESIS_PUT_UNIT +
    m.invocations * PRICES.lambdaRequest +
    m.wru * PRICES.dynamoWru +
    m.s3Put * PRICES.s3Put +
    m.s3Get * PRICES.s3Get +
    m.s3List * PRICES.s3Put;
  const kinesisOnDemand = (m: Meter): number => m.kinesisBilledBytes * KINESIS_ON_DEMAND_GB - m.kinesisPutUnits * KINESIS_PUT_UNIT;
  const f = (x: number): string => Math.round(x * scale).toLocaleString('en-US');
  console.log(
    `${'pipeline'.padEnd(26)} ${'Kinesis recs'.padStart(12)} ${'PUT units'.padStart(10)} ${'MB sent'.padStart(8)} ${'invocations'.padStart(11)} ${'DDB txns'.padStart(9)} ${'DDB WRU'.padStart(8)} ${'S3 PUT'.padStart(7)} ${'S3 GET'.padStart(7)} ${'S3 LIST'.padStart(7)} ${'$ / M rec'.padStart(10)} ${'(on-demand)'.padStart(11)}`,
  );
  for (const [name, m] of rows) {
    console.log(
      `${name.padEnd(26)} ${f(m.kinesisRecords).padStart(12)} ${f(m.kinesisPutUnits).padStart(10)} ${((m.kinesisBytes * scale) / 1e6).toFixed(1).padStart(8)} ${f(m.invocations).padStart(11)} ${f(m.transactions).padStart(9)} ${f(m.wru).padStart(8)} ${f(m.s3Put).padStart(7)} ${f(m.s3Get).padStart(7)} ${f(m.s3List).padStart(7)} ${('$' + (dollars(m) * scale).toFixed(4)).padStart(10)} ${('$' + ((dollars(m) + kinesisOnDemand(m)) * scale).toFixed(4)).padStart(11)}`,
    );
  }
  const base = dollars(rows[0]![1]);
  const combine = dollars(rows[1]![1]);
  const plain = dollars(rows[2]![1]);
  const od = (m: Meter): number => dollars(m) + kinesisOnDemand(m);
  console.log(
    `ratio: the exchange adds $${((combine - base) * scale).toFixed(4)} per million records with the map-side combine, $${((plain - base) * scale).toFixed(4)} without (provisioned Kinesis); on-demand Kinesis $${((od(rows[1]![1]) - od(rows[0]![1])) * scale).toFixed(4)} and $${((od(rows[2]![1]) - od(rows[0]![1])) * scale).toFixed(4)}; the combine sends ${(rows[2]![1].kinesisBytes / rows[1]![1].kinesisBytes).toFixed(2)}x fewer bytes`,
  );
  return 0;
}
