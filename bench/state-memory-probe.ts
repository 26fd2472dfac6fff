import { getHeapStatistics } from 'node:v8';
import { OperatorState } from '../lib/core/state/operator-state';
import { StateBudget } from '../lib/runtime/protocol/state/state-budget';
import { StateFileWriter } from '../lib/runtime/protocol/state/state-file';

/**
 * One probe of `npm run bench -- state-memory`, run in a child process with the heap limit under
 * test: grows one shard's state 100,000 keys at a time through the load path until the StateBudget
 * refuses it, then writes a snapshot of what it holds (the most transient memory a batch needs), and
 * prints one JSON line. An out-of-memory crash before the refusal would end the child instead.
 */
const kind = process.argv[2] === 'objects' ? 'objects' : 'counts';
const gc = (globalThis as { gc?: () => void }).gc!;
const heapLimit = getHeapStatistics().heap_size_limit;
const budget = new StateBudget(heapLimit, 'the heap');
const state = new OperatorState();
const step = 100_000;
let rawBytes = 0;
let keys = 0;
gc();
const baseHeap = process.memoryUsage().heapUsed;
for (;;) {
  const ks: string[] = [];
  const vs: unknown[] = [];
  const ts: number[] = [];
  let stepBytes = 0;
  for (let i = keys; i < keys + step; i++) {
    const key = `user-${i.toString(36).padStart(8, '0')}`;
    const value = kind === 'counts' ? (i % 997) + 1 : { clicks: i % 50, last: '/item/' + (i % 1000), first: 1_700_000_000_000 + i, tags: ['a', 'b'] };
    ks.push(key);
    vs.push(value);
    ts.push(1_700_000_000_000);
    stepBytes += JSON.stringify([key, value, 1_700_000_000_000]).length - 1;
  }
  // What a commit of the grown state would meet: refused means this many keys never load.
  try {
    budget.check('probe', {
      snapshot: { batchNo: 1, bytes: 0, keys: keys + step, rawBytes: rawBytes + stepBytes },
      deltas: [],
      deltaBytes: 0,
      keys: keys + step,
    });
  } catch {
    break;
  }
  state.loadColumns(ks, vs, ts);
  keys += step;
  rawBytes += stepBytes;
}
gc();
const heapUsed = process.memoryUsage().heapUsed - baseHeap;
// The snapshot a batch would write at this size: the peak of transient memory.
const writer = new StateFileWriter({ kind: 'snapshot', app: 'probe', shard: 'probe', batchNo: 1 });
await writer.addEntries('state', state.entries());
const { body } = await writer.finish();
console.log(
  JSON.stringify({
    kind,
    heapLimitMb: heapLimit / 1_048_576,
    budgetMb: budget.budgetBytes / 1_048_576,
    keys,
    rawMb: rawBytes / 1_048_576,
    heapUsedMb: heapUsed / 1_048_576,
    bytesPerKey: heapUsed / keys,
    snapshotMb: body.length / 1_048_576,
  }),
);
