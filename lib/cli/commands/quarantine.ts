import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../../core/errors';
import { readQuarantine, type QuarantineItem } from '../../runtime/failures/read-quarantine';
import { StorageKeys } from '../../runtime/protocol/storage-keys';
import { loadStagedPipeline } from '../load-pipeline';
import { addAppStoresOptions, appStoresOptions, openAppStores } from '../open-app-stores';
import { parseOptions } from '../parse-options';
import { APP_NAME_RULE, isAppName } from '../../core/app-name';

const quarantineSchema = z.object({
  ...appStoresOptions,
  app: z.string().refine(isAppName, APP_NAME_RULE).optional(),
  pipeline: z.string().optional(),
  shard: z.string().min(1).optional(),
  json: z.boolean().optional(),
});

/**
 * `sluice quarantine list|show`: what the pipeline set aside instead of blocking its shard — records
 * the user's code threw on, records that did not decode or were too big, and whole batches that
 * failed `--max-batch-attempts` times — with the reason, the shard and the sequence number.
 */
export function registerQuarantine(program: Command): void {
  const quarantine = program.command('quarantine').description('Read the records and batches an app set aside (poison pills), with the reason of each.');
  const list = quarantine.command('list').description('One line per entry: key, shard, batch, sequence number(s), stage and reason.');
  withTarget(list)
    .option('--shard <id>', 'only this shard')
    .option('--json', 'one JSON object per entry instead of a table')
    .action(async (raw: Record<string, unknown>) => {
      const o = parseOptions(quarantineSchema, raw);
      await withItems(o, o.shard, (items, app) => {
        if (o.json) for (const item of items) process.stdout.write(`${JSON.stringify({ key: item.key, ...summarize(item) })}\n`);
        else process.stdout.write(`${formatList(app, items)}\n`);
      });
    });
  const show = quarantine
    .command('show')
    .argument('<key>', 'an entry key, as `list` prints it')
    .description("Print one entry as JSON, with each record's data as text when it is valid UTF-8.");
  withTarget(show).action(async (key: string, raw: Record<string, unknown>) => {
    const o = parseOptions(quarantineSchema, raw);
    await withItems(o, undefined, (items, app) => {
      const full = key.startsWith('quarantine/') ? key : `${StorageKeys.quarantinePrefix(app)}${key}`;
      const item = items.find((i) => i.key === full);
      if (item === undefined) throw new ConfigError('<key>', `no quarantine entry ${JSON.stringify(key)} for app ${app} (see sluice quarantine list)`);
      process.stdout.write(`${JSON.stringify(withText(item), null, 2)}\n`);
    });
  });
}

function withTarget(command: Command): Command {
  return addAppStoresOptions(command)
    .option('--app <name>', 'app name (default: the pipeline name)')
    .option('--pipeline <path>', 'pipeline module, for the default app name (default: the word count)');
}

async function withItems(o: z.infer<typeof quarantineSchema>, shard: string | undefined, use: (items: QuarantineItem[], app: string) => void): Promise<void> {
  const app = o.app ?? (await loadStagedPipeline(o.pipeline)).name;
  const stores = openAppStores(app, o);
  try {
    use(await readQuarantine(stores.objects, stores.checkpoints, app, shard), app);
  } finally {
    await stores.close();
  }
}

/** The fields `list` shows of an entry. */
function summarize(item: QuarantineItem): { shardId: string; batchNo: number; seq: string; records: number; stage: string; reason: string } {
  const { entry } = item;
  if (item.kind === 'batch') {
    return {
      shardId: entry.shardId,
      batchNo: entry.batchNo,
      seq: `${item.entry.firstSeq}..${item.entry.lastSeq}`,
      records: item.entry.count,
      stage: `batch (${item.entry.attempts} attempts)`,
      reason: entry.reason,
    };
  }
  return {
    shardId: entry.shardId,
    batchNo: entry.batchNo,
    seq: item.entry.seq ?? '-',
    records: item.entry.seq === undefined ? 0 : 1,
    stage: entry.stage,
    reason: entry.reason,
  };
}

function formatList(app: string, items: readonly QuarantineItem[]): string {
  const prefix = StorageKeys.quarantinePrefix(app);
  const rows = items.map((item) => {
    const s = summarize(item);
    return [
      item.key.slice(prefix.length),
      String(s.batchNo),
      s.seq.length > 24 ? `…${s.seq.slice(-23)}` : s.seq,
      s.stage,
      s.reason.split('\n')[0]!.slice(0, 80),
    ];
  });
  const header = ['key', 'batch', 'seq', 'stage', 'reason'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const records = items.reduce((n, i) => n + summarize(i).records, 0);
  // An entry of no record is one key's values an operator after a barrier threw on (docs/decisions/0014).
  const elements = items.filter((i) => summarize(i).records === 0).length;
  const what = `${records} ${records === 1 ? 'record' : 'records'}${elements === 0 ? '' : ` and ${elements} ${elements === 1 ? "key's values" : "keys' values"}`} set aside`;
  return [
    `app ${app}: ${items.length} ${items.length === 1 ? 'entry' : 'entries'}, ${what}`,
    ...(items.length > 0 ? [line(header), ...rows.map(line)] : []),
  ].join('\n');
}

/** The entry with each record's bytes also as text, so a poison pill can be read. */
function withText(item: QuarantineItem): unknown {
  const text = (base64: string | undefined): string | undefined => {
    if (base64 === undefined) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64'));
    } catch {
      return undefined;
    }
  };
  if (item.kind === 'batch') return { key: item.key, ...item.entry, records: item.entry.records.map((r) => ({ ...r, text: text(r.data) })) };
  return { key: item.key, ...item.entry, text: text(item.entry.data) };
}
