import { crashAt as planCrashAt } from './faults/fault-plan';
import type { SourceRecord } from '../../lib/core/source-record';
import type { MicroBatchProcessor } from '../../lib/runtime/protocol/micro-batch-processor';
import { FaultInjector } from './faults/fault-injector';
import { InjectedCrash } from './faults/injected-errors';

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
