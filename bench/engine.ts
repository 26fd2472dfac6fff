import { parseArgs } from 'node:util';
import { compilePipeline } from '../lib/core/engine/compile-pipeline';
import wordCount from '../examples/word-count-per-shard';
import { wordLines } from './word-lines';

/**
 * Fused engine vs a hand-written loop on the default word count, over the same in-memory ~100-byte
 * lines, in one process. Both keep running totals across batches and find the top 10 of every
 * batch, the work the example pipeline does. Rounds alternate to spread JIT and GC effects evenly;
 * the reported ratio is the median over rounds of (engine throughput / hand-loop throughput).
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { lines: { type: 'string', default: '200000' }, batch: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '7' } },
  });
  const totalLines = Number(values.lines);
  const batchSize = Number(values.batch);
  const rounds = Number(values.rounds);
  const lines = wordLines(42, totalLines);
  const bytes = lines.reduce((n, l) => n + l.length, 0);
  const batches: string[][] = [];
  for (let i = 0; i < lines.length; i += batchSize) batches.push(lines.slice(i, i + batchSize));

  const ratios: number[] = [];
  let engineBest = 0;
  let handBest = 0;
  for (let round = 0; round < rounds; round++) {
    const hand = time(() => handLoop(batches));
    const engine = time(() => fusedEngine(batches));
    if (engine.checksum !== hand.checksum) throw new Error(`results differ: engine ${engine.checksum} vs hand loop ${hand.checksum}`);
    const e = totalLines / engine.seconds;
    const h = totalLines / hand.seconds;
    engineBest = Math.max(engineBest, e);
    handBest = Math.max(handBest, h);
    if (round > 0) ratios.push(e / h); // round 0 warms both up
  }
  ratios.sort((a, b) => a - b);
  const ratio = ratios[Math.floor(ratios.length / 2)]!;
  console.log(`engine bench: ${totalLines} lines (${(bytes / totalLines).toFixed(0)} bytes avg) in batches of ${batchSize}, ${rounds} rounds`);
  console.log(`  hand loop   ${fmt(handBest)} lines/s (best round)`);
  console.log(`  fused       ${fmt(engineBest)} lines/s (best round)`);
  console.log(`ratio ${ratio.toFixed(3)} (fused throughput / hand-loop throughput, median of ${ratios.length} rounds)`);
  return 0;
}

function fusedEngine(batches: string[][]): number {
  const compiled = compilePipeline(wordCount as never);
  const states = compiled.createStates();
  let checksum = 0;
  batches.forEach((batch, i) => {
    const result = compiled.run(batch, states, i * 1000);
    // What a commit does to the state after the batch: its changes are settled.
    for (const s of states.values()) s.settle();
    const top = result.outputs[0]!.items.slice(0, 10) as Array<[string, number]>;
    checksum += top.reduce((n, [, c]) => n + c, 0);
  });
  return checksum;
}

/** What a careful engineer writes by hand: one Map of totals, a split per line, a top-10 scan per batch. */
function handLoop(batches: string[][]): number {
  const totals = new Map<string, number>();
  let checksum = 0;
  for (const batch of batches) {
    for (const line of batch) {
      for (const word of line.split(/\s+/)) {
        if (word.length > 0) totals.set(word, (totals.get(word) ?? 0) + 1);
      }
    }
    const top: Array<[string, number]> = [];
    for (const entry of totals) {
      if (top.length < 10 || entry[1] > top[top.length - 1]![1]) {
        top.push(entry);
        top.sort((a, b) => b[1] - a[1]);
        if (top.length > 10) top.pop();
      }
    }
    checksum += top.reduce((n, [, c]) => n + c, 0);
  }
  return checksum;
}

function time(fn: () => number): { seconds: number; checksum: number } {
  const start = process.hrtime.bigint();
  const checksum = fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, checksum };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
