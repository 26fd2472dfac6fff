/** The exit code of `run` and `dev` with `--fail-on-quarantine` when they set something aside: not 1 (an error) nor 2 (usage). */
export const QUARANTINE_EXIT_CODE = 3;

/**
 * The line a run ends with when it quarantined anything: how many, and the command that lists
 * them. `undefined` when nothing was set aside.
 */
export function quarantineSummary(q: { readonly records: number; readonly elements: number }, listCommand: string): string | undefined {
  if (q.records + q.elements === 0) return undefined;
  const records = `${q.records.toLocaleString('en-US')} ${q.records === 1 ? 'record' : 'records'}`;
  const elements = q.elements === 0 ? '' : ` and ${q.elements.toLocaleString('en-US')} ${q.elements === 1 ? "key's values" : "keys' values"}`;
  return `${records}${elements} quarantined (the pipeline threw on them, or they did not decode): see ${listCommand}`;
}
