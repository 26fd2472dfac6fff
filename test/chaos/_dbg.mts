import { memoryBackend } from './chaos-backend';
import { runSchedule } from './run-schedule';
import { drawSchedule } from './schedule-config';
const config = drawSchedule(3, 780);
console.log({ wal: config.walEnabled, rate: config.maxRatePerShard, att: config.maxBatchAttempts, shards: config.shards.map(s => s.records.length), steps: config.steps, batchSize: config.batchSize, rates: config.faultRates });
const stores = memoryBackend().stores();
const r = await runSchedule(config, stores);
console.log(r.violations);
const keys = await stores.objects.list('quarantine/');
for (const k of keys) { const e = JSON.parse(new TextDecoder().decode(await stores.objects.get(k))); console.log(k, e.stage, e.attempts, e.firstSeq, e.lastSeq, e.count); }
const aside = await stores.checkpoints.query('chaos-3-780#shardId-000000000002', 'aside#');
console.log(aside);
const cp = await stores.checkpoints.get('chaos-3-780#shardId-000000000002', 'meta#checkpoint'); console.log(cp?.data.slice(0, 300));
