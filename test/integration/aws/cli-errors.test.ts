import { createServer as createHttpServer } from 'node:http';
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

  it('prints one line naming the option when --endpoint or AWS_ENDPOINT_URL has no scheme', async () => {
    const option = await runCli(['status', '--endpoint', 'localhost:5000', '--stream', 'words', '--app', 'a']);
    const env = await runCli(['quarantine', 'list', '--app', 'a'], { env: { AWS_ENDPOINT_URL: 'localhost:5000' } });
    expect(option.code).toBe(1);
    expect(option.stderr.trim().split('\n')).toEqual([
      'sluice: --endpoint: must be a URL with its scheme, such as http://localhost:4566 (given "localhost:5000")',
    ]);
    expect(env.code).toBe(1);
    expect(env.stderr.trim().split('\n')).toEqual([
      'sluice: AWS_ENDPOINT_URL: must be a URL with its scheme, such as http://localhost:4566 (given "localhost:5000")',
    ]);
  });

  it('says the endpoint cannot be reached, in one line, when nothing listens there', async () => {
    // Prepare: a port that was free a moment ago.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    // Act
    const result = await runCli(['status', '--endpoint', `http://127.0.0.1:${port}`, '--stream', 'words', '--app', 'a']);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `sluice: cannot reach the AWS endpoint 127.0.0.1:${port} (connection refused): is moto_server or LocalStack running there? Check --endpoint or AWS_ENDPOINT_URL`,
    ]);
  });

  it('says the endpoint is not an AWS API, in one line, when a web server answers with HTML', async () => {
    // Prepare: a web page where the emulator should be.
    const web = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>hello</body></html>'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
    // Act
    const result = await runCli(['status', '--endpoint', endpoint, '--stream', 'words', '--app', 'a']);
    web.close();
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^sluice: the endpoint's answer is not an AWS API response \(HTTP 200, .*\): check that --endpoint or AWS_ENDPOINT_URL points at moto_server, LocalStack or AWS$/,
      ),
    ]);
  });
});
