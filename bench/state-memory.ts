import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const PROBE = fileURLToPath(new URL('./state-memory-probe.ts', import.meta.url));

/**
 * How big a state one shard can hold, by heap size: for each heap limit, a child process grows a
 * state until sluice's StateBudget refuses it (60 % of the heap, estimated from the serialized
 * size), then writes a snapshot of it. Prints the keys it held, their serialized and in-heap size,
 * and that the snapshot fit — an out-of-memory crash would fail the probe. Two shapes of state:
 * word counts (short keys, small numbers) and small objects (~90 bytes of JSON per value).
 *
 * `--heaps` are old-space sizes (`--max-old-space-size`); the table shows the heap limit V8 then
 * reports, young generation included. What heap a Lambda function's Node gets for a memory size is
 * the runtime's choice: the processor logs its heap limit and state budget at its first invocation.
 */
export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { heaps: { type: 'string', default: '512,1024,2048,4096' } } });
  const heaps = values.heaps.split(',').map(Number);
  console.log('state-memory bench: the largest state one shard holds, per heap size (refused by the state budget before memory runs out)');
  console.log('| heap limit | state | keys held | serialized | in the heap | bytes per key | snapshot written |');
  console.log('|---|---|---|---|---|---|---|');
  for (const heap of heaps) {
    for (const kind of ['counts', 'objects']) {
      const out = await probe(heap, kind);
      const r = JSON.parse(out) as { keys: number; rawMb: number; heapUsedMb: number; bytesPerKey: number; snapshotMb: number; heapLimitMb: number };
      console.log(
        `| ${Math.round(r.heapLimitMb).toLocaleString('en-US')} MB | ${kind === 'counts' ? 'word counts' : '~90-byte objects'} | ${r.keys.toLocaleString('en-US')} | ${r.rawMb.toFixed(0)} MB | ${r.heapUsedMb.toFixed(0)} MB (${((r.heapUsedMb / r.heapLimitMb) * 100).toFixed(0)} %) | ${r.bytesPerKey.toFixed(0)} | ${r.snapshotMb.toFixed(0)} MB compressed |`,
      );
    }
  }
  return 0;
}

function probe(heapMb: number, kind: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, '--expose-gc', '--import', 'tsx', PROBE, kind], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`probe of a ${heapMb} MB heap (${kind}) failed with ${code}: ${err.slice(-2000)}`)),
    );
  });
}
