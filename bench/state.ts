import { TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAwsClients, type AwsClients } from '../lib/adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../lib/adapters/aws/dynamodb-checkpoint-store';
import { S3ObjectStore } from '../lib/adapters/aws/s3-object-store';
import { DiskObjectStore } from '../lib/adapters/local/disk-object-store';
import { MemoryCheckpointStore } from '../lib/adapters/local/memory-checkpoint-store';
import { SystemClock } from '../lib/adapters/local/system-clock';
import { compilePipeline, type CompiledPipeline } from '../lib/core/engine/compile-pipeline';
import { pipeline } from '../lib/core/pipeline/stream';
import type { SourceRecord } from '../lib/core/source-record';
import { fnv1a } from '../lib/core/util/fnv1a';
import type { CheckpointStore } from '../lib/ports/checkpoint-store';
import type { ObjectStore } from '../lib/ports/object-store';
import { createProcessorHandler } from '../lib/compose/create-processor-handler';
import { toKinesisStreamEvent } from '../lib/runtime/local-esm/kinesis-event';
import { MicroBatchProcessor } from '../lib/runtime/protocol/micro-batch-processor';
import { ShardReader } from '../lib/runtime/protocol/shard-reader';
import { StorageKeys } from '../lib/runtime/protocol/storage-keys';
import { startMotoServer } from '../test/helpers/moto';
import { meter, PRICES, totals, waitedMs, type MeteredCall } from './aws-meter';

const SHARD = 'shardId-000000000000';
const ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/state-bench';
const RECORDS_PER_BATCH = 1_000;
const HOT_KEYS = 1_000;
const RECORD_BYTES = 100;
/** 0.1's layout: 64 bucket items per shard, limits of one item and one transaction (lib 0.1 defaults). */
const OLD_BUCKETS = 64;
const OLD_MAX_BUCKET_BYTES = 380 * 1024;
const OLD_MAX_COMMIT_BYTES = 3_900 * 1024;

/** Counts per key: each 100-byte record names one key. */
const counts = pipeline('state-bench')
  .map((line: string) => line.slice(0, line.indexOf(' ')))
  .countByValue()
  .updateStateByKey<string, number, number>((c, t = 0) => c.reduce((a, b) => a + b, t), { name: 'counts', merge: (a, b) => a + b });

/**
 * What a shard's state costs as it grows: for a state of 10,000 / 100,000 / 1,000,000 keys, batches
 * of 1,000 100-byte records touching 1,000 hot keys go through the Lambda processor handler against
 * moto (or `AWS_ENDPOINT_URL`), with a meter on the SDK clients: DynamoDB request bytes and request
 * units, S3 PUTs and GETs per batch (snapshots included, amortized over the batches run), the time
 * a new container takes to load the state (from moto, and from the local disk store), and dollars
 * per million records at list prices with one batch a second (1,000 records/s per shard) — next to
 * 0.1's layout (64 bucket items rewritten in the commit whenever touched; its transaction is built
 * from the same state and sent to the same endpoint) and a hand-written Lambda doing one
 * `UpdateItem ADD` per key.
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: 'string', default: '10000,100000,1000000' },
      batches: { type: 'string', default: '100' },
      'memory-mb': { type: 'string', default: '1024' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const batches = Number(values.batches);
  const memoryGb = Number(values['memory-mb']) / 1024;
  const moto = process.env.AWS_ENDPOINT_URL ? undefined : await startMotoServer();
  const endpoint = process.env.AWS_ENDPOINT_URL ?? moto!.url;
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const aws = createAwsClients({ endpoint, region: 'us-east-1' });
  const calls: MeteredCall[] = [];
  meter(aws.dynamodb, 'dynamodb', calls);
  meter(aws.s3, 's3', calls);
  const suffix = Date.now().toString(36);
  // The 0.1 layout's transaction and the per-key baseline write to a table of their own; each state
  // size gets a fresh table and bucket, so moto's time per request reflects that size's data alone.
  const otherTable = `sluice-state-bench-${suffix}-other`;
  const compiled = compilePipeline(counts as never);
  const rows: Row[] = [];
  try {
    await DynamoDbCheckpointStore.createTable(aws.dynamodb, otherTable);
    console.log(
      `state bench: ${RECORDS_PER_BATCH.toLocaleString('en-US')}-record batches of ${RECORD_BYTES}-byte records on ${HOT_KEYS.toLocaleString('en-US')} hot keys, ${batches} warm batches per state size, through the processor handler against ${moto ? 'moto (started for this run)' : endpoint}`,
    );
    for (const size of sizes) {
      const app = `sb-${size}-${suffix}`;
      const tableName = `sluice-${app}`;
      const bucket = `sluice-${app}`;
      await DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName);
      await S3ObjectStore.createBucket(aws.s3, bucket);
      const checkpoints = new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName });
      const objects = new S3ObjectStore({ client: aws.s3, bucket });
      process.stderr.write(`  ${size.toLocaleString('en-US')} keys: seeding...`);
      const nextSeq = await seed(app, size, compiled, checkpoints, objects);
      process.stderr.write(' warm batches...');
      const handler = createProcessorHandler(compiled, {
        env: { APP_NAME: app, TABLE_NAME: tableName, BUCKET_NAME: bucket },
        clients: aws,
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics: { batchCommitted: () => undefined },
        output: { print: () => undefined },
      });
      // The container's first batch loads the state; the warm ones are measured.
      await handler(toKinesisStreamEvent(hotBatch(nextSeq, 0), { shardId: SHARD, eventSourceArn: ARN }));
      calls.length = 0;
      const startedMs = performance.now();
      for (let b = 1; b <= batches; b++)
        await handler(toKinesisStreamEvent(hotBatch(nextSeq + BigInt(b * RECORDS_PER_BATCH), b), { shardId: SHARD, eventSourceArn: ARN }));
      const handlerMs = (performance.now() - startedMs) / batches;
      const warm = totals(calls);
      const waited = waitedMs(calls) / batches;
      process.stderr.write(' cold loads...');
      const coldMoto = await timeColdLoad(app, compiled, checkpoints, objects);
      const coldDisk = await timeColdLoadFromDisk(app, compiled, checkpoints, objects);
      process.stderr.write(' 0.1 layout...');
      const old = await oldLayoutCommit(aws, otherTable, app, compiled, checkpoints, objects, calls);
      process.stderr.write(' baseline...\n');
      const baseline = await perKeyBaseline(aws, otherTable, `${app}-baseline`, calls);
      rows.push({ size, batches, handlerMs, waitedMs: waited, warm, coldMoto, coldDisk, old, baseline, memoryGb });
    }
    print(rows);
    return 0;
  } finally {
    aws.destroy();
    await moto?.stop();
  }
}

interface Row {
  readonly size: number;
  readonly batches: number;
  readonly handlerMs: number;
  /** Of which waiting on moto. */
  readonly waitedMs: number;
  readonly warm: ReturnType<typeof totals>;
  readonly coldMoto: { ms: number; gets: number };
  readonly coldDisk: { ms: number };
  readonly old: { fits: true; bytes: number; wru: number; items: number } | { fits: false; why: string; bytes: number };
  readonly baseline: { ms: number; bytes: number; wru: number; calls: number };
  readonly memoryGb: number;
}

/** `size` keys, one record each, committed in batches of 50,000 by a processor on the same stores. Returns the next sequence number. */
async function seed(app: string, size: number, compiled: CompiledPipeline, checkpoints: CheckpointStore, objects: ObjectStore): Promise<bigint> {
  const processor = new MicroBatchProcessor({ app, pipeline: compiled, checkpoints, objects, clock: new SystemClock() });
  const step = 50_000;
  let seq = 1_000_000n;
  for (let from = 0; from < size; from += step) {
    const records: SourceRecord[] = [];
    for (let k = from; k < Math.min(size, from + step); k++) records.push(record(seq++, keyOf(k)));
    await processor.process({ shardId: SHARD, records, sourceId: ARN });
  }
  return seq;
}

/** A batch of 1,000 records, one per hot key, each key once. */
function hotBatch(firstSeq: bigint, salt: number): SourceRecord[] {
  return Array.from({ length: RECORDS_PER_BATCH }, (_, i) => record(firstSeq + BigInt(i), keyOf((i * 7 + salt) % HOT_KEYS)));
}

function keyOf(k: number): string {
  return `key-${k.toString(36).padStart(6, '0')}`;
}

function record(seq: bigint, key: string): SourceRecord {
  const line = `${key} `.padEnd(RECORD_BYTES, 'x');
  return { seq: String(seq), arrivalMs: Date.now(), partitionKey: key, data: new TextEncoder().encode(line) };
}

/** A new container's load of the state: checkpoint read, snapshot and deltas. */
async function timeColdLoad(
  app: string,
  compiled: CompiledPipeline,
  checkpoints: CheckpointStore,
  objects: ObjectStore,
): Promise<{ ms: number; gets: number }> {
  let gets = 0;
  const counting: ObjectStore = { ...bind(objects), get: (k) => (gets++, objects.get(k)), getRange: (k, s, e) => (gets++, objects.getRange(k, s, e)) };
  const reader = new ShardReader(app, compiled, checkpoints, counting);
  const started = performance.now();
  await reader.states(await reader.read(SHARD));
  return { ms: performance.now() - started, gets };
}

/** The same load from the local mode's disk store: the shard's objects copied to a temp directory. */
async function timeColdLoadFromDisk(app: string, compiled: CompiledPipeline, checkpoints: CheckpointStore, objects: ObjectStore): Promise<{ ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-state-bench-'));
  try {
    const disk = new DiskObjectStore(dir);
    for (const key of await objects.list(StorageKeys.statePrefix(app, SHARD))) await disk.putIfAbsent(key, (await objects.get(key))!);
    const local = new MemoryCheckpointStore();
    const pk = StorageKeys.shardPartition(app, SHARD);
    const item = (await checkpoints.get(pk, StorageKeys.CHECKPOINT_SK))!;
    await local.transact([{ kind: 'put', item }]);
    const reader = new ShardReader(app, compiled, local, disk);
    const started = performance.now();
    await reader.states(await reader.read(SHARD));
    return { ms: performance.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * 0.1's commit of one warm batch, from the same state: its keys in 64 buckets by FNV-1a, each
 * touched bucket serialized whole (`[[key, value, updatedAtMs], ...]`) and written in the commit's
 * transaction with the checkpoint. Sent to the endpoint when it fits DynamoDB's limits.
 */
async function oldLayoutCommit(
  aws: AwsClients,
  tableName: string,
  app: string,
  compiled: CompiledPipeline,
  checkpoints: CheckpointStore,
  objects: ObjectStore,
  calls: MeteredCall[],
): Promise<Row['old']> {
  const reader = new ShardReader(app, compiled, checkpoints, objects);
  const state = (await reader.states(await reader.read(SHARD))).get('counts')!;
  const buckets = Array.from({ length: OLD_BUCKETS }, () => [] as Array<[string, unknown, number]>);
  for (const [key, entry] of state.entries()) buckets[fnv1a(key) % OLD_BUCKETS]!.push([key, entry.value, entry.updatedAtMs]);
  const touched = new Set(Array.from({ length: HOT_KEYS }, (_, k) => fnv1a(keyOf(k)) % OLD_BUCKETS));
  const items = [...touched].map((b) => ({ sk: `state#counts#${String(b).padStart(3, '0')}`, data: JSON.stringify(buckets[b]) }));
  const bytes = items.reduce((n, i) => n + i.data.length, 0);
  const biggest = Math.max(...items.map((i) => i.data.length));
  if (biggest > OLD_MAX_BUCKET_BYTES) return { fits: false, why: `a bucket of ${kb(biggest)} KB is over DynamoDB's 400 KB item limit`, bytes };
  if (bytes > OLD_MAX_COMMIT_BYTES) return { fits: false, why: `${kb(bytes)} KB is over DynamoDB's 4 MB transaction limit`, bytes };
  calls.length = 0;
  const pk = `${app}-old#${SHARD}`;
  const checkpoint = { pk: { S: pk }, sk: { S: 'meta#checkpoint' }, version: { N: '2' }, data: { S: 'x'.repeat(700) } };
  await aws.dynamodb.send(
    new TransactWriteItemsCommand({
      TransactItems: [
        { Put: { TableName: tableName, Item: checkpoint } },
        ...items.map((i) => ({ Put: { TableName: tableName, Item: { pk: { S: pk }, sk: { S: i.sk }, version: { N: '2' }, data: { S: i.data } } } })),
      ],
    }),
  );
  const t = totals(calls);
  return { fits: true, bytes: t.dynamoBytes, wru: t.wru, items: items.length + 1 };
}

/** A hand-written Lambda's batch: one `UpdateItem ADD` per key, 32 in flight. */
async function perKeyBaseline(aws: AwsClients, tableName: string, app: string, calls: MeteredCall[]): Promise<Row['baseline']> {
  calls.length = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async (_, lane) => {
      for (let k = lane; k < HOT_KEYS; k += 32) {
        await aws.dynamodb.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: app }, sk: { S: keyOf(k) } },
            UpdateExpression: 'ADD #c :n',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':n': { N: '1' } },
          }),
        );
      }
    }),
  );
  const t = totals(calls);
  return { ms: performance.now() - started, bytes: t.dynamoBytes, wru: t.wru, calls: t.dynamoCalls };
}

function print(rows: readonly Row[]): void {
  const perMillion = 1e6 / RECORDS_PER_BATCH;
  console.log('\nper warm batch of 1,000 records (averages over the batches run, snapshots included)');
  console.log(
    '| state keys | layout | DynamoDB request bytes | WRU | RRU | S3 PUT | S3 GET | batch ms on moto (waiting on it) | cold load, moto | cold load, local disk | $ per million records |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const w = r.warm;
    const n = r.batches;
    const lambda = PRICES.lambdaRequest + (PRICES.lambdaGbSecond * r.memoryGb * Math.ceil(r.handlerMs)) / 1000;
    const sluice =
      ((w.wru / n) * PRICES.dynamoWru + (w.rru / n) * PRICES.dynamoRru + ((w.s3Puts + w.s3Lists) / n) * PRICES.s3Put + (w.s3Gets / n) * PRICES.s3Get + lambda) *
      perMillion;
    console.log(
      `| ${fmt(r.size)} | sluice (state in objects) | ${fmt(Math.round(w.dynamoBytes / n))} | ${(w.wru / n).toFixed(1)} | ${(w.rru / n).toFixed(1)} | ${((w.s3Puts + w.s3Lists) / n).toFixed(2)} | ${(w.s3Gets / n).toFixed(2)} | ${r.handlerMs.toFixed(0)} (${r.waitedMs.toFixed(0)}) | ${fmtMs(r.coldMoto.ms)} (${r.coldMoto.gets} GETs) | ${fmtMs(r.coldDisk.ms)} | $${sluice.toFixed(4)} |`,
    );
    if (r.old.fits) {
      // 0.1 made the same Query and WAL PUT; its Lambda time is left out (favouring it).
      const old = (r.old.wru * PRICES.dynamoWru + (w.rru / n) * PRICES.dynamoRru + PRICES.s3Put + PRICES.lambdaRequest) * perMillion;
      console.log(
        `| ${fmt(r.size)} | 0.1 (64 bucket items in the commit) | ${fmt(r.old.bytes)} | ${r.old.wru} | ${(w.rru / n).toFixed(1)} | 1 | 0 | - | - | - | ≥ $${old.toFixed(4)} |`,
      );
    } else {
      console.log(
        `| ${fmt(r.size)} | 0.1 (64 bucket items in the commit) | ${fmt(r.old.bytes)} (state rewritten) | - | - | - | - | cannot commit: ${r.old.why} | - | - | - |`,
      );
    }
    // Its Lambda time is left out too: moto serves one request at a time, which 1,000 calls pay for.
    const base = (r.baseline.wru * PRICES.dynamoWru + PRICES.lambdaRequest) * perMillion;
    console.log(
      `| ${fmt(r.size)} | one UpdateItem per key | ${fmt(r.baseline.bytes)} | ${r.baseline.wru} | 0 | 0 | 0 | ${r.baseline.ms.toFixed(0)} | - | - | ≥ $${base.toFixed(4)} |`,
    );
  }
  const worst = Math.max(...rows.map((r) => r.warm.dynamoBytes / r.batches));
  console.log(
    `\nDynamoDB request bytes per 1,000 records: at most ${fmt(Math.round(worst))} over state sizes ${rows.map((r) => fmt(r.size)).join(' / ')} (goal ≤ 10,240, whatever the state's size)`,
  );
  console.log(
    `$ per million records at one batch a second: sluice's Lambda at ${rows[0]?.memoryGb ?? 1} GB billed for the batch's measured time on moto; "≥": DynamoDB, S3 and Lambda requests only; S3 LIST priced as PUT, DELETE free; Kinesis excluded`,
  );
}

function bind(o: ObjectStore): ObjectStore {
  return {
    putIfAbsent: (k, b) => o.putIfAbsent(k, b),
    get: (k) => o.get(k),
    getRange: (k, s, e) => o.getRange(k, s, e),
    list: (p) => o.list(p),
    delete: (k) => o.delete(k),
  };
}

function kb(bytes: number): string {
  return fmt(Math.round(bytes / 1024));
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}
