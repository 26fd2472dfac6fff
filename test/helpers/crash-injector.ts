import { crashAt as planCrashAt } from './faults/fault-plan';
import { FaultInjector } from './faults/fault-injector';

export { InjectedCrash } from './faults/injected-errors';

/**
 * Wraps the stores so that port call number `crashAt` (counting every call to either) throws,
 * either before reaching the store or after the store applied it: the crash sweep's injector, a
 * {@link FaultInjector} with a single planned crash. After it, the invocation is dead.
 */
export class CrashInjector extends FaultInjector {
  constructor(readonly crashAt: number, readonly when: 'before' | 'after') {
    super(planCrashAt(crashAt, when));
  }

  get crashed(): boolean {
    return this.dead;
  }
}
