import { memoryBackend } from './chaos-backend';
import { runSchedule } from './run-schedule';
import { drawSchedule } from './schedule-config';
const backend = memoryBackend();
const n = Number(process.argv[2] ?? 50);
let lost = 0, dup = 0, bad = 0, recs = 0, inv = 0, rq = 0, bq = 0; const faults: Record<string, number> = {}; const t0 = Date.now();
for (let i = 0; i < n; i++) {
  const config = drawSchedule(Number(process.argv[3] ?? 1), i);
  const r = await runSchedule(config, backend.stores());
  lost += r.lost; dup += r.duplicated; recs += r.records; inv += r.invocations; rq += r.recordQuarantines; bq += r.batchQuarantines;
  for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
  if (r.violations.length) { bad++; if (bad <= 3) console.log(i, JSON.stringify({ wal: config.walEnabled, rate: config.maxRatePerShard, att: config.maxBatchAttempts }), r.violations.slice(0, 4)); }
}
console.log({ n, lost, dup, bad, recs, inv, rq, bq, faults, ms: Date.now() - t0 });
