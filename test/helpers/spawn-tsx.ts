import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A child `node --import tsx` process and the lines it printed so far. */
export interface TsxChild {
  readonly process: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  /** Resolves once `count` lines were printed; rejects if the child exits first. */
  waitForLines(count: number): Promise<void>;
  /** Resolves with the exit code, or the signal that ended it. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/**
 * Runs a TypeScript script in a real child process (for crash and multi-process tests), collecting
 * its stdout lines. Stderr is kept for the error message when the child dies unexpectedly.
 */
export function spawnTsx(script: string, args: readonly string[]): TsxChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const wake of waiters) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal!)));
  const waitForLines = (count: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (lines.length >= count) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
      void exited.then((end) => {
        if (lines.length < count) reject(new Error(`${script} exited (${end}) after ${lines.length} of ${count} lines:\n${stderr}`));
      });
    });
  return { process: child, lines, waitForLines, exited };
}
