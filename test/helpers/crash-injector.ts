import { crashAt as planCrashAt } from './faults/fault-plan';
import type { SourceRecord } from '../../lib/core/source-record';
import type { MicroBatchProcessor } from '../../lib/runtime/protocol/micro-batch-processor';
import { FaultInjector } from './faults/fault-injector';
import { InjectedCrash } from './faults/injected-errors';
import type { KinesisStreamEvent } from 'aws-lambda';
import type { ProcessorHandler } from '../../lib/compose/create-processor-handler';
import { expect } from 'vitest';

export { InjectedCrash } from './faults/injected-errors';

/**
 * Wraps the stores so that port call number `crashAt` (counting every call to either) throws,
 * either before reaching the store or after the store applied it: the crash sweep's injector, a
 * {@link FaultInjector} with a single planned crash. After it, the invocation is dead.
 */
export class CrashInjector extends FaultInjector {
  constructor(
    readonly crashAt: number,
    readonly when: 'before' | 'after',
  ) {
    super(planCrashAt(crashAt, when));
  }

  get crashed(): boolean {
    return this.dead;
  }
}

/**
 * Delivers each of `deliveries` to shard `s1` the way the ESM does: the same delivery again until it
 * succeeds, on a fresh instance (`make()`) after an injected crash. Any other error fails the test.
 */
export async function deliverUntilCommitted(
  faulty: MicroBatchProcessor,
  make: () => MicroBatchProcessor,
  deliveries: ReadonlyArray<readonly SourceRecord[]>,
): Promise<void> {
  for (const records of deliveries) {
    let processor = faulty;
    for (;;) {
      try {
        await processor.process({ shardId: 's1', records });
        break;
      } catch (error) {
        if (!(error instanceof InjectedCrash)) throw error;
        processor = make();
      }
    }
  }
}

/**
 * Crashes at every port call in turn, `when` it says: `run(crash, crashAt)` runs the whole scenario
 * with `crash`'s stores and returns how many crashes it took (0 or 1). The sweep ends with the first
 * run that makes fewer calls than `crashAt` (no crash): every call was a crash point. A probe run's
 * count would only be a guide, since whether a batch writes a snapshot, and deletes what it
 * supersedes, depends on compressed sizes, which an app's random name moves by a byte or two.
 * Returns the number of crash points swept.
 */
export async function sweepCrashPoints(when: 'before' | 'after', run: (crash: CrashInjector, crashAt: number) => Promise<number>): Promise<number> {
  for (let crashAt = 1; ; crashAt++) {
    const crashes = await run(new CrashInjector(crashAt, when), crashAt);
    if (crashes === 0) return crashAt - 1;
    if (crashes !== 1) throw new Error(`crash ${when} call ${crashAt}: ${crashes} crashes, expected 1`);
  }
}

/**
 * Delivers each event until the handler succeeds (no item failures), on a new container (`fresh()`)
 * after every injected crash, as the event source mapping does. Any other error fails the test.
 * Returns how many crashes it took.
 */
export async function deliverAll(first: ProcessorHandler, fresh: () => ProcessorHandler, events: readonly KinesisStreamEvent[]): Promise<number> {
  let handler = first;
  let crashes = 0;
  for (const event of events) {
    for (;;) {
      try {
        expect(await handler(event)).toEqual({ batchItemFailures: [] });
        break;
      } catch (error) {
        if (!(error instanceof InjectedCrash)) throw error;
        crashes++;
        handler = fresh();
      }
    }
  }
  return crashes;
}
