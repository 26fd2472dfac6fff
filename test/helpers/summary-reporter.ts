import type { SerializedError } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends every run with one plain line, `N passed, N failed, N skipped`, after vitest's own summary,
 * so any reader of the log (people, CI) gets the counts in a fixed form. Errors raised outside any
 * test (an unhandled rejection, say) fail the run too: the line then says how many, and each one's
 * message follows, so even a log cut to its last lines names what failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
      // A file that failed to load has no tests to count but is a failure all the same.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++;
    }
    let line = `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
    if (unhandledErrors.length > 0) line += `, ${unhandledErrors.length} unhandled error(s)`;
    const details = unhandledErrors.map((e) => `  unhandled: ${e.name ?? 'Error'}: ${String(e.message).split('\n')[0]}`);
    process.stdout.write(`\n${[line, ...details].join('\n')}\n`);
  }
}
