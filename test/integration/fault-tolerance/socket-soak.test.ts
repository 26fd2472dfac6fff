import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { openLocalStores } from '../../../lib/compose/open-local-app';
import { readMergedState } from '../../../lib/runtime/protocol/read-merged-state';
import { seededRandom, startCli } from '../../helpers/run-cli';
import { AckingProducer } from './acking-producer';

const KILLS = 4;
const LINES_PER_TICK = 10;
const TICK_MS = 20;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts `sluice run` on the socket and resolves with how it ended (an exit code, or the signal). */
function startRunner(args: readonly string[]): { stop: (signal: NodeJS.Signals) => void; ended: Promise<number | NodeJS.Signals> } {
  const child = startCli(args);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const ended = new Promise<number | NodeJS.Signals>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal!)));
  void ended.then((end) => {
    if (typeof end === 'number' && end !== 0) throw new Error(`sluice run exited with ${end}:\n${stderr}`);
  });
  return { stop: (signal) => void child.kill(signal), ended };
}

describe('socket source soak (sluice run, local)', () => {
  it('counts every line the receiver acknowledged exactly once across repeated kill -9 while a producer keeps sending', async () => {
    // Prepare: a producer of unique words w0, w1, ... at ~500 lines/s, reconnecting whenever the runner dies.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-soak-'));
    const port = await freePort();
    const args = [
      'run',
      '--pipeline',
      'examples/word-count-per-shard.ts',
      '--source',
      `socket:${port}`,
      '--checkpoint-dir',
      dir,
      '--batch-interval',
      '100',
      '--no-backpressure',
    ];
    const seed = Number(process.env.SLUICE_KILL_SEED ?? 20_261_202);
    const random = seededRandom(seed);
    const producer = new AckingProducer(port, (i) => `w${i}`);
    producer.start();
    const pace = setInterval(() => producer.produce(LINES_PER_TICK), TICK_MS);
    const ackedBeforeKill: number[] = [];

    // Act: kill -9 each runner at a random moment once it acknowledges lines, while lines keep coming.
    try {
      for (let k = 0; k < KILLS; k++) {
        const runner = startRunner(args);
        const before = producer.acked.size;
        await waitUntil(() => producer.acked.size > before, 20_000, `runner ${k + 1} to acknowledge lines`);
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(random() * 900)));
        ackedBeforeKill.push(producer.acked.size);
        runner.stop('SIGKILL');
        expect(await runner.ended).toBe('SIGKILL');
      }
    } finally {
      clearInterval(pace);
    }
    // The last runner stays up until every line is acknowledged and has had time to commit, then stops cleanly.
    const last = startRunner(args);
    await producer.allAcked(10_000);
    producer.stop();
    await new Promise((resolve) => setTimeout(resolve, 600));
    last.stop('SIGTERM');
    expect(await last.ended).toBe(0);
    const { checkpoints, objects } = openLocalStores(dir);
    const state = await readMergedState(checkpoints, objects, 'word-count', compilePipeline(wordCount as never));
    await checkpoints.close();

    // Assess: acknowledged lines were received durably, so none is lost; a line sent once is counted
    // exactly once; a line sent again after a broken connection is counted at most as often as sent.
    expect(
      ackedBeforeKill.every((n, i) => n > (ackedBeforeKill[i - 1] ?? 0)),
      `seed ${seed}: acks must progress between kills`,
    ).toBe(true);
    const wrong: string[] = [];
    let resent = 0;
    for (let i = 0; i < producer.produced; i++) {
      const counted = (state.get(`w${i}`) as number | undefined) ?? 0;
      const sent = producer.sends[i]!;
      if (sent > 1) resent++;
      if (counted < 1 || counted > sent || (sent === 1 && counted !== 1)) wrong.push(`w${i}: sent ${sent}, counted ${counted}`);
    }
    expect(wrong, `seed ${seed}, ${producer.produced} lines, ${resent} resent, ${producer.connections} connections`).toEqual([]);
    expect(producer.acked.size).toBe(producer.produced);
    expect(state.size).toBe(producer.produced);
  });
});
