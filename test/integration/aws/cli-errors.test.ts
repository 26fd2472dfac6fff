import { createServer, type Socket } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { runCli, startCli } from '../../helpers/run-cli';

describe('sluice (AWS commands)', () => {
  it('prints one line, with a hint, when the app has no table on the endpoint', async () => {
    const result = await runCli(['state', 'dump', '--endpoint', inject('awsEndpoint'), '--stream', 'none', '--app', 'never-deployed']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sluice: AWS ResourceNotFoundException: .*is the app deployed/)]);
  });

  it('says what it is waiting for, and where, when the endpoint accepts connections but never answers', async () => {
    // Prepare: an endpoint that takes every connection and says nothing (a stopped emulator).
    const sockets: Socket[] = [];
    const stalled = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(stalled.address() as { port: number }).port}`;
    // Act: wait for a line on stderr (at most 30 s), then stop the command.
    const child = startCli(['status', '--endpoint', endpoint, '--stream', 'words', '--app', 'stalled']);
    let stderr = '';
    const firstLine = new Promise<void>((resolve) => {
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('\n')) resolve();
      });
      setTimeout(resolve, 30_000).unref();
    });
    await firstLine;
    child.kill('SIGKILL');
    for (const socket of sockets) socket.destroy();
    stalled.close();
    // Assess
    expect(stderr.split('\n')[0]).toBe(`sluice: waiting for Kinesis ListShards at ${endpoint}: no answer for 5 s; still trying (Ctrl-C to stop)`);
  });
});
