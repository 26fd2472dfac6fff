import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createAwsClients } from '../../../lib/adapters/aws/aws-clients';
import { runCli } from '../../helpers/run-cli';
import { uniqueName } from './aws-app';

const endpoint = inject('awsEndpoint');
const aws = createAwsClients({ endpoint, region: 'us-east-1' });
const streams: string[] = [];

afterAll(async () => {
  await Promise.all(streams.map((name) => aws.kinesis.send(new DeleteStreamCommand({ StreamName: name })).catch(() => undefined)));
  aws.destroy();
});

describe('sluice dev and status of a pipeline with exchanges', () => {
  it('runs every stage of top-k-global with a controller each, the idle ticks of stage 0 carrying time through both exchanges, and status shows each stage', async () => {
    // Prepare: a 2-shard stream, and six words pushed at once.
    const stream = uniqueName('cli-staged');
    const app = uniqueName('cli-staged');
    streams.push(stream, `sluice-${app}.s1`, `sluice-${app}.s2`);
    const target = ['--endpoint', endpoint, '--stream', stream, '--app', app, '--pipeline', 'examples/top-k-global.ts'];
    const file = join(await mkdtemp(join(tmpdir(), 'sluice-staged-')), 'words.txt');
    await writeFile(file, 'ant bee ant\nant cat\nbee\n');
    const created = await runCli(['dev', ...target, '--shards', '2', '--drain']);
    const pushed = await runCli(['push', ...target, '--file', file]);
    // Act: nothing arrives after the push; only the controller's idle ticks close the windows.
    const run = await runCli(['dev', ...target, '--duration', '18', '--batching-window', '0', '--control-interval', '1', '--idle-tick-after', '2']);
    const status = await runCli(['status', ...target, '--json']);
    const table = await runCli(['status', ...target]);
    // Assess
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(
      `stage 1 (app ${app}.s1) reads sluice-${app}.s1 (the exchange; origins: the shards of ${stream}), sends to sluice-${app}.s2 (1 partition)`,
    );
    expect(created.stdout).toContain(`stage 2 (app ${app}.s2) reads sluice-${app}.s2 (the exchange; origins: the shards of sluice-${app}.s1)`);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(run.code, run.stderr).toBe(0);
    // The global top of a window holding every line, counted across both source shards.
    expect(run.stdout).toMatch(/\["ant",3\],\s*\["bee",2\],\s*\["cat",1\]/);
    const lines = status.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { stage?: number; app?: string; batchNo: number; controller?: { heartbeatAtMs: number } });
    expect(status.code, status.stderr).toBe(0);
    expect(lines.filter((l) => l.stage === undefined)).toHaveLength(2);
    expect(lines.filter((l) => l.stage === 1).map((l) => l.app)).toEqual([`${app}.s1`, `${app}.s1`, `${app}.s1`, `${app}.s1`]);
    expect(lines.filter((l) => l.stage === 2).map((l) => l.app)).toEqual([`${app}.s2`]);
    expect(lines.every((l) => l.batchNo > 0)).toBe(true);
    // A controller runs for every stage, as the construct deploys one per stage.
    expect(lines.every((l) => (l.controller?.heartbeatAtMs ?? 0) > 0)).toBe(true);
    expect(table.stdout).toContain(`stage 2 (exchange)\napp ${app}.s2  stream sluice-${app}.s2`);
  }, 240_000);
});
