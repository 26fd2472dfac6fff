import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createAwsClients } from '../lib/adapters/aws/aws-clients';
import { KinesisWriter } from '../lib/adapters/aws/kinesis-writer';
import { MemoryCheckpointStore } from '../lib/adapters/local/memory-checkpoint-store';
import { decodeKinesisEvent } from '../lib/runtime/lambda/decode-kinesis-event';
import { toKinesisStreamEvent } from '../lib/runtime/local-esm/kinesis-event';
import { PAYLOAD_UNIT_BYTES } from '../lib/runtime/producer/kpl-packer';
import { Producer } from '../lib/compose/producer';
import { startMotoServer } from '../test/helpers/moto';
import { PRICES } from './aws-meter';

/** What the PutRecords calls of one run put on the wire. */
interface PutMeter {
  requests: number;
  kinesisRecords: number;
  payloadUnits: number;
  /** On-demand billing: each record's bytes rounded up to 1 KB. */
  onDemandBytes: number;
}

/** Counts every PutRecords entry the client sends: its payload units (data + key, per 25 KB) and its on-demand bytes. */
function meterPuts(client: KinesisClient, meter: PutMeter): void {
  (client.middlewareStack as { add: (mw: unknown, options: { step: string; name: string }) => void }).add(
    (next: (args: { input: { Records?: Array<{ Data?: Uint8Array; PartitionKey?: string }> } }) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: { Records?: Array<{ Data?: Uint8Array; PartitionKey?: string }> } }) => {
        if (context.commandName === 'PutRecordsCommand') {
          meter.requests++;
          for (const r of args.input.Records ?? []) {
            const bytes = (r.Data?.byteLength ?? 0) + Buffer.byteLength(r.PartitionKey ?? '');
            meter.kinesisRecords++;
            meter.payloadUnits += Math.max(1, Math.ceil(bytes / PAYLOAD_UNIT_BYTES));
            meter.onDemandBytes += Math.max(1, Math.ceil(bytes / 1024)) * 1024;
          }
        }
        return next(args);
      },
    { step: 'initialize', name: 'sluiceBenchPutMeter' },
  );
}

/** Reads a stream back through the processor's decoder: the user records it holds, counted. */
async function countUserRecords(client: KinesisClient, streamName: string): Promise<number> {
  const { Shards } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  let n = 0;
  for (const shard of Shards ?? []) {
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' })))
      .ShardIterator;
    for (;;) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = (page.Records ?? []).map((r) => ({ seq: r.SequenceNumber!, arrivalMs: 0, partitionKey: r.PartitionKey!, data: r.Data! }));
      if (records.length === 0) break;
      const decoded = decodeKinesisEvent(
        toKinesisStreamEvent(records, { shardId: shard.ShardId!, eventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/bench' }),
      )!;
      if (decoded.undecodable.length > 0) throw new Error(`${decoded.undecodable.length} records did not decode: ${decoded.undecodable[0]!.reason}`);
      n += decoded.records.length;
      iterator = page.NextShardIterator;
    }
  }
  return n;
}

/**
 * PUT payload units and dollars per million 100-byte records written by `Producer`, aggregated (KPL
 * format, up to one 25 KB unit per Kinesis record) and not, against moto (or `AWS_ENDPOINT_URL`).
 * A middleware counts every PutRecords entry; the stream is then read back through the processor's
 * decoder, which must find every user record.
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { records: { type: 'string', default: '20000' }, bytes: { type: 'string', default: '100' }, shards: { type: 'string', default: '2' } },
  });
  const count = Number(values.records);
  const size = Number(values.bytes);
  const shards = Number(values.shards);
  const moto = process.env.AWS_ENDPOINT_URL ? undefined : await startMotoServer();
  // moto takes any credentials; a real endpoint uses the environment's.
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  const aws = createAwsClients({ endpoint: moto?.url, region: 'us-east-1' });
  try {
    console.log(
      `producer bench: ${count.toLocaleString('en-US')} records of ${size} bytes (random keys) over ${shards} shards, against ${moto ? 'moto (started for this run)' : process.env.AWS_ENDPOINT_URL}`,
    );
    const records = Array.from({ length: count }, (_, i) => ({
      partitionKey: `user-${i}`,
      data: new Uint8Array(
        randomBytes(size / 2)
          .toString('hex')
          .slice(0, size)
          .split('')
          .map((c) => c.charCodeAt(0)),
      ),
    }));
    const per = (n: number): number => (n / count) * 1e6;
    const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
    console.log(
      `${'mode'.padEnd(11)} ${'PutRecords'.padStart(10)} ${'Kinesis records'.padStart(15)} ${'payload units / M'.padStart(18)} ${'$ / M (provisioned)'.padStart(20)} ${'$ / M (on-demand)'.padStart(18)} ${'read back'.padStart(10)}`,
    );
    const units: Record<string, number> = {};
    for (const aggregate of [false, true]) {
      const streamName = `bench-producer-${aggregate ? 'agg' : 'plain'}-${randomBytes(3).toString('hex')}`;
      await KinesisWriter.createStream(aws.kinesis, streamName, shards);
      const meter: PutMeter = { requests: 0, kinesisRecords: 0, payloadUnits: 0, onDemandBytes: 0 };
      meterPuts(aws.kinesis, meter);
      const producer = new Producer({ app: 'bench', stream: streamName, kinesis: aws.kinesis, checkpoints: new MemoryCheckpointStore(), aggregate });
      const result = await producer.send(records);
      if (result.failed > 0) throw new Error(`${result.failed} records not written`);
      const readBack = await countUserRecords(aws.kinesis, streamName);
      if (readBack !== count) throw new Error(`read back ${readBack} user records of ${count}`);
      (aws.kinesis.middlewareStack as { remove: (name: string) => boolean }).remove('sluiceBenchPutMeter');
      const label = aggregate ? 'aggregated' : 'plain';
      units[label] = per(meter.payloadUnits);
      const provisioned = per(meter.payloadUnits) * PRICES.kinesisPutPayloadUnit;
      const onDemand = (per(meter.onDemandBytes) / 1024 ** 3) * PRICES.kinesisOnDemandGb;
      console.log(
        `${label.padEnd(11)} ${fmt(meter.requests).padStart(10)} ${fmt(meter.kinesisRecords).padStart(15)} ${fmt(per(meter.payloadUnits)).padStart(18)} ${`$${fmt(provisioned, 4)}`.padStart(20)} ${`$${fmt(onDemand, 4)}`.padStart(18)} ${fmt(readBack).padStart(10)}`,
      );
    }
    console.log(`ratio ${fmt(units.plain! / units.aggregated!, 1)} (PUT payload units per million records, plain / aggregated)`);
    return 0;
  } finally {
    aws.destroy();
    await moto?.stop();
  }
}
