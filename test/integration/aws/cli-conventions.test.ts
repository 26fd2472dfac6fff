import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createAwsClients } from '../../../lib/adapters/aws/aws-clients';
import { runCli } from '../../helpers/run-cli';
import { uniqueName } from './aws-app';

const endpoint = inject('awsEndpoint');
const streams: Array<{ name: string; region: string }> = [];
const STRICT = 'test/integration/fault-tolerance/fixtures/strict-word-count.ts';

afterAll(async () => {
  for (const { name, region } of streams) {
    const aws = createAwsClients({ endpoint, region });
    await aws.kinesis.send(new DeleteStreamCommand({ StreamName: name })).catch(() => undefined);
    aws.destroy();
  }
});

/** The table `sluice status` printed: its header's cells and each row's, split on runs of 2+ spaces. */
function table(stdout: string): { title: string; header: string[]; rows: string[][] } {
  const [title, header, ...rest] = stdout.trim().split('\n');
  const split = (line: string): string[] => line.trim().split(/ {2,}/);
  return { title: title!, header: split(header!), rows: rest.filter((line) => line.startsWith('shardId-')).map(split) };
}

describe('sluice dev, status and quarantine on an emulator, as a new user runs them', () => {
  it('creates a stream only with --shards, refuses a count that contradicts it, and says what it is doing', async () => {
    // Prepare
    const stream = uniqueName('conv-shards');
    streams.push({ name: stream, region: 'us-east-1' });
    const target = ['--endpoint', endpoint, '--stream', stream, '--app', uniqueName('conv')];
    // Act
    const missing = await runCli(['dev', ...target, '--drain']);
    const created = await runCli(['dev', ...target, '--shards', '2', '--drain']);
    const contradicted = await runCli(['dev', ...target, '--shards', '5', '--drain']);
    const reused = await runCli(['dev', ...target, '--drain']);
    // Assess
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toEqual([
      `sluice: --shards: stream ${stream} does not exist on ${endpoint}: give --shards N to create it with N shards`,
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`sluice dev: creating stream ${stream} (2 shards)`);
    expect(created.stdout).toContain(`sluice dev: ready; waiting for records on ${stream}`);
    expect(contradicted.code).toBe(1);
    expect(contradicted.stderr.trim().split('\n')).toEqual([
      `sluice: --shards: stream ${stream} already has 2 open shards, not 5: drop --shards, or give 2 (resharding is UpdateShardCount's job)`,
    ]);
    expect(reused.code, reused.stderr).toBe(0);
    expect(reused.stdout).toContain(`sluice dev: stream ${stream} has 2 open shards`);
  });

  it('shows status in plain words and human units, counts quarantined records apart, and names the operator that threw', async () => {
    // Prepare: 40 lines, 3 of them poison pills the pipeline's first map throws on; AWS_REGION names the region.
    const region = 'eu-west-1';
    const stream = uniqueName('conv-status');
    streams.push({ name: stream, region });
    const app = uniqueName('conv');
    const lines = Array.from({ length: 40 }, (_, i) => (i % 13 === 5 ? `poison ${i}` : `w${i % 7} w${i % 3}`));
    const file = join(await mkdtemp(join(tmpdir(), 'sluice-conv-')), 'lines.txt');
    await writeFile(file, `${lines.join('\n')}\n`);
    const env = { AWS_REGION: region };
    const target = ['--endpoint', endpoint, '--stream', stream, '--app', app, '--pipeline', STRICT];
    // Act
    const created = await runCli(['dev', ...target, '--shards', '1', '--drain'], { env });
    const pushed = await runCli(['push', ...target, '--file', file], { env });
    const processed = await runCli(['dev', ...target, '--drain', '--batching-window', '0', '--fail-on-quarantine'], { env });
    const status = await runCli(['status', ...target], { env });
    const verbose = await runCli(['status', ...target, '--verbose'], { env });
    const json = await runCli(['status', ...target, '--json'], { env });
    // quarantine list finds the app through AWS_ENDPOINT_URL, as status and state dump do.
    const quarantined = await runCli(['quarantine', 'list', '--app', app, '--json'], { env: { ...env, AWS_ENDPOINT_URL: endpoint } });
    // Assess
    expect(created.code, created.stderr).toBe(0);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(processed.code, processed.stderr).toBe(3);
    expect(processed.stderr).toContain(
      `sluice: 3 records quarantined (the pipeline threw on them, or they did not decode): see sluice quarantine list --app ${app} --endpoint ${endpoint}`,
    );
    expect(status.code, status.stderr).toBe(0);
    const t = table(status.stdout);
    expect(t.title).toBe(`app ${app}  stream ${stream}  37 records committed, 3 quarantined: sluice quarantine list --app ${app}, caught up`);
    expect(t.header).toEqual([
      'shard',
      'batches',
      'behind',
      'records',
      'quarantined',
      'last batch',
      'processing',
      'waited',
      'rate limit',
      'can process',
      'committed',
      'controller',
    ]);
    expect(t.rows).toHaveLength(1);
    const row = Object.fromEntries(t.header.map((h, i) => [h, t.rows[0]![i]]));
    expect(row).toMatchObject({ behind: 'caught up', records: '37', quarantined: '3' });
    expect(row.processing).toMatch(/^\d{1,3}(,\d{3})* ms$|^\d+\.\d s$/);
    expect(row.waited).toMatch(/^\d{1,3}(,\d{3})* ms$|^\d+\.\d s$/);
    expect(row['rate limit']).toMatch(/^none$|^[\d,]+\/s$/);
    expect(row.controller).toMatch(/ ago$|^not running$/);
    // No raw float and no PID jargon unless asked for.
    expect(status.stdout).not.toMatch(/\d\.\d\d/);
    expect(status.stdout).not.toMatch(/pid|∞|never/i);
    expect(table(verbose.stdout).header).toEqual(expect.arrayContaining(['committed seq', 'pid error', 'pid historical error', 'pid dError']));
    const [shard] = json.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            caughtUp: boolean;
            behindMs: number;
            committedRecords: number;
            quarantined: number;
            sourceId: string;
            lastBatch: { processingMs: number };
          },
      );
    expect(shard).toMatchObject({ caughtUp: true, behindMs: 0, committedRecords: 37, quarantined: 3 });
    expect(shard!.sourceId).toMatch(new RegExp(`^arn:aws:kinesis:${region}:\\d+:stream/${stream}$`));
    // The live view's last row for the shard shows the processing time the checkpoint keeps.
    const liveRows = processed.stdout.split('\n').filter((l) => l.startsWith('shardId-'));
    const lastLive = liveRows.at(-1)!.trim().split(/ +/);
    expect(Number(lastLive[4]!.replaceAll(',', ''))).toBe(Math.round(shard!.lastBatch.processingMs));
    expect(quarantined.code, quarantined.stderr).toBe(0);
    const entries = quarantined.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { stage: string; reason: string });
    expect(entries).toHaveLength(3);
    expect(entries.every((e) => e.stage === 'map #1' && e.reason.includes('cannot handle a poison pill'))).toBe(true);
  });
});
