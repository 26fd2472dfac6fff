import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createAwsClients } from '../../../lib/adapters/aws/aws-clients';
import { CreateStreamCommand, DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { runCli } from '../../helpers/run-cli';
import { countWords, sampleLines } from '../../helpers/word-records';
import { uniqueName } from './aws-app';

const endpoint = inject('awsEndpoint');
const streams: string[] = [];

afterAll(async () => {
  const aws = createAwsClients({ endpoint, region: 'us-east-1' });
  await Promise.all(streams.map((name) => aws.kinesis.send(new DeleteStreamCommand({ StreamName: name }))));
  aws.destroy();
});

describe('sluice dev, push, status and state dump', () => {
  it('creates the app, pushes a file, processes it to exact counts and reports every shard', async () => {
    // Prepare: a file of lines, and an app of its own on the test endpoint.
    const stream = uniqueName('cli-words');
    streams.push(stream);
    const app = uniqueName('cli');
    const lines = sampleLines(300, 21);
    const file = join(await mkdtemp(join(tmpdir(), 'sluice-push-')), 'words.txt');
    await writeFile(file, `${lines.join('\n')}\n\n`);
    const target = ['--endpoint', endpoint, '--stream', stream, '--app', app];

    // Act: create the stream, table and bucket; push; process until drained; read back.
    const created = await runCli(['dev', ...target, '--shards', '3', '--drain']);
    const pushed = await runCli(['push', ...target, '--file', file]);
    const processed = await runCli(['dev', ...target, '--shards', '3', '--drain', '--batch-size', '50', '--batching-window', '0']);
    const dumped = await runCli(['state', 'dump', ...target]);
    const status = await runCli(['status', ...target, '--json']);
    const table = await runCli(['status', ...target]);
    // The same app asked about streams it does not read: refused, never another stream's state or offsets.
    const other = uniqueName('cli-other');
    streams.push(other);
    const aws = createAwsClients({ endpoint, region: 'us-east-1' });
    await aws.kinesis.send(new CreateStreamCommand({ StreamName: other, ShardCount: 1 }));
    aws.destroy();
    const foreignDump = await runCli(['state', 'dump', '--endpoint', endpoint, '--stream', 'nope', '--app', app]);
    const foreignStatus = await runCli(['status', '--endpoint', endpoint, '--stream', other, '--app', app]);

    // Assess
    expect(created.code, created.stderr).toBe(0);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toContain(`pushed 300 records to ${stream}`);
    expect(processed.code, processed.stderr).toBe(0);
    expect(processed.stdout).toContain('stopped (drained): 300 records in');
    expect(JSON.parse(dumped.stdout)).toEqual(countWords(lines));
    const shards = status.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { shardId: string; batchNo: number; totals?: { records: number } });
    expect(shards.map((s) => s.shardId).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    expect(shards.reduce((n, s) => n + (s.totals?.records ?? 0), 0)).toBe(300);
    expect(shards.every((s) => s.batchNo >= 1)).toBe(true);
    // Drained: no shard is behind, whatever its last batch waited.
    const [head, ...rows] = table.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/ {2,}/));
    expect(head![2]).toBe('behind');
    expect(rows.filter((cells) => cells[0]!.startsWith('shardId-')).map((cells) => [cells[0], cells[2]])).toEqual(
      shards.map(() => [expect.stringMatching(/^shardId-/), 'caught up']),
    );
    expect(foreignDump.code).toBe(1);
    expect(foreignDump.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^sluice: --app: app ${app} holds the state of arn:aws:kinesis:us-east-1:\\d+:stream/${stream}, not of stream nope`)),
    ]);
    expect(foreignStatus.code).toBe(1);
    expect(foreignStatus.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^sluice: --app: app ${app} holds the offsets of arn:aws:kinesis:us-east-1:\\d+:stream/${stream}, not of stream ${other}`),
      ),
    ]);
  });

  it('runs the controller with the processor: a quiet shard gets idle ticks that close its windows', async () => {
    // Prepare: the top-k pipeline (5 s windows of arrival time) and three words pushed at once.
    const stream = uniqueName('cli-top-k');
    streams.push(stream);
    const target = ['--endpoint', endpoint, '--stream', stream, '--app', uniqueName('cli-top-k'), '--pipeline', 'examples/top-k-per-shard.ts'];
    const file = join(await mkdtemp(join(tmpdir(), 'sluice-top-k-')), 'words.txt');
    await writeFile(file, 'ant bee ant\n');
    const created = await runCli(['dev', ...target, '--shards', '1', '--drain']);
    const pushed = await runCli(['push', ...target, '--file', file]);
    // Act: no record arrives after the push; only idle ticks can close the windows.
    const run = await runCli([
      'dev',
      ...target,
      '--shards',
      '1',
      '--duration',
      '8',
      '--batching-window',
      '0',
      '--control-interval',
      '1',
      '--idle-tick-after',
      '2',
    ]);
    const status = await runCli(['status', ...target, '--json']);
    // Assess
    expect(created.code, created.stderr).toBe(0);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/#1 +ant +2\n/);
    const [shard] = status.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { batchNo: number; controller?: { heartbeatAtMs: number } });
    expect(shard!.batchNo).toBeGreaterThanOrEqual(2);
    expect(shard!.controller?.heartbeatAtMs).toBeGreaterThan(0);
  });

  it('rejects a push to a stream that does not exist, naming the option', async () => {
    const result = await runCli(['push', '--endpoint', endpoint, '--stream', uniqueName('missing'), '--file', '-'], { input: 'a b c\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/sluice: --stream: no stream missing-[0-9a-f]+ on this endpoint/);
  });
});
