import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../../helpers/run-cli';
import { countWords } from '../../helpers/word-records';

/** `count` lines `"<i> <word>"`, i from 1. */
function numberedLines(count: number, word: string): string[] {
  return Array.from({ length: count }, (_, i) => `${i + 1} ${word}`);
}

/** The block files of the receiver log of `shardId`, oldest first. */
function blocks(checkpointDir: string, shardId: string): string[] {
  const dir = join(checkpointDir, 'objects', 'received', 'word-count', shardId);
  return readdirSync(dir)
    .filter((name) => /^\d{20}$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** A free loopback port, by binding 0 and closing. */
async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const STDIN_GAP =
  /^sluice: received\/word-count\/stdin-0\/: the receiver log ends at line ([\d,]+), but app word-count has taken lines up to 1,000: its newest blocks were deleted or cut short, so new lines would be numbered as lines already counted and dropped; restore the missing blocks, or start over with a new --checkpoint-dir or --app$/;

describe('sluice run --source stdin|socket over a receiver log that lost its newest lines', () => {
  it('refuses to start when the newest block was deleted, instead of dropping the new lines', async () => {
    // Prepare: 1,000 lines received and committed; then the newest block is deleted.
    const checkpointDir = join(mkdtempSync(join(tmpdir(), 'sluice-gap-')), 'checkpoint');
    const first = numberedLines(1_000, 'monday');
    const done = await runCli(['run', '--source', 'stdin', '--checkpoint-dir', checkpointDir], { input: `${first.join('\n')}\n` });
    rmSync(blocks(checkpointDir, 'stdin-0').at(-1)!);
    // Act
    const refused = await runCli(['run', '--source', 'stdin', '--checkpoint-dir', checkpointDir], { input: `${numberedLines(500, 'tuesday').join('\n')}\n` });
    const dump = await runCli(['state', 'dump', '--checkpoint-dir', checkpointDir, '--operator', 'totals']);
    // Assess
    expect(done.code, done.stderr).toBe(0);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(STDIN_GAP)]);
    expect(JSON.parse(dump.stdout)).toEqual(countWords(first));
  });

  it('refuses to start when the newest block was cut short at a line', async () => {
    // Prepare
    const checkpointDir = join(mkdtempSync(join(tmpdir(), 'sluice-gap-')), 'checkpoint');
    const done = await runCli(['run', '--source', 'stdin', '--checkpoint-dir', checkpointDir], { input: `${numberedLines(1_000, 'monday').join('\n')}\n` });
    const newest = blocks(checkpointDir, 'stdin-0').at(-1)!;
    const kept = readFileSync(newest, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .slice(0, -10);
    writeFileSync(newest, `${kept.join('\n')}\n`);
    // Act
    const refused = await runCli(['run', '--source', 'stdin', '--checkpoint-dir', checkpointDir], { input: 'more words\n' });
    // Assess
    expect(done.code, done.stderr).toBe(0);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^sluice: received\/word-count\/stdin-0\/: the receiver log ends at line 990, but app word-count has taken lines up to 1,000: /),
    ]);
  });

  it('never listens, so never acknowledges a line, when the socket receiver log lost its newest block', async () => {
    // Prepare: 300 lines received over the socket and committed, then the newest block deleted.
    const checkpointDir = join(mkdtempSync(join(tmpdir(), 'sluice-gap-')), 'checkpoint');
    const port = await freePort();
    const args = ['run', '--source', `socket:${port}`, '--checkpoint-dir', checkpointDir, '--batch-interval', '100'];
    const first = startCli(args);
    let firstOut = '';
    first.stdout!.on('data', (chunk: Buffer) => (firstOut += chunk.toString()));
    const acked = await sendLines(port, numberedLines(300, 'monday'));
    for (let i = 0; i < 200 && !firstOut.includes('300'); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    first.kill('SIGTERM');
    await new Promise((resolve) => first.on('close', resolve));
    rmSync(blocks(checkpointDir, 'socket-0').at(-1)!);
    // Act
    const second = startCli(args);
    let stderr = '';
    second.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => second.on('close', resolve));
    const code = await Promise.race([closed, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 20_000))]);
    const afterwards = await sendLines(port, ['tuesday']).catch((error: NodeJS.ErrnoException) => error.code);
    second.kill('SIGKILL');
    await closed;
    const outcome = { code, stderr };
    // Assess
    expect(acked).toBe(300);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^sluice: received\/word-count\/socket-0\/: the receiver log ends at line [\d,]+, but app word-count has taken lines up to 300: /),
    ]);
    expect(afterwards).toBe('ECONNREFUSED');
  });
});

/** Sends `lines` over the ACK protocol and resolves with the last ACK once the server closes. */
async function sendLines(port: number, lines: readonly string[]): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<number>((resolve, reject) => {
        const socket = connect({ port, host: '127.0.0.1' });
        let received = '';
        socket.once('error', reject);
        socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
        socket.once('connect', () => socket.end(`${lines.join('\n')}\n`));
        socket.on('close', () => resolve(Number(/ACK (\d+)\n$/.exec(received)?.[1] ?? 0)));
      });
    } catch (error) {
      // The first run may not listen yet; the second must never.
      if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || attempt >= 100 || lines[0] === 'tuesday') throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
