import type { SourceRecord } from '../../lib/core/source-record';

const encoder = new TextEncoder();

/** Source records with seqs `from`, `from+1`, ... holding `lines`. */
export function recordsOf(lines: readonly string[], from = 1, arrivalMs = 1_000): SourceRecord[] {
  return lines.map((line, i) => ({ seq: String(from + i), arrivalMs, partitionKey: 'p', data: encoder.encode(line) }));
}

/** The exact word count of `lines`, as the word-count example defines words. */
export function countWords(lines: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) for (const w of line.split(/\s+/)) if (w.length > 0) out[w] = (out[w] ?? 0) + 1;
  return out;
}

/** Deterministic lines of words from a small vocabulary. */
export function sampleLines(count: number, seed = 1): string[] {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2147483648);
  return Array.from({ length: count }, () => Array.from({ length: 1 + (next() % 5) }, () => words[next() % words.length]).join(' '));
}
