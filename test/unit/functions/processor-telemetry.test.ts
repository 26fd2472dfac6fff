import { afterEach, describe, expect, it, vi } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { EmfMetrics } from '../../../lib/adapters/aws/emf-metrics';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { pipeline } from '../../../lib/core/pipeline/stream';
import { createProcessorHandler } from '../../../lib/compose/create-processor-handler';
import { FakeClock } from '../../helpers/fake-clock';
import { recordsOf } from '../../helpers/word-records';
import { eventOf } from './fixtures';

const NOW = 1_700_000_000_000;

/** Every JSON line written to stdout while `act` runs. */
async function stdoutJson(act: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(() => vi.unstubAllEnvs());

describe('createProcessorHandler', () => {
  describe('handler telemetry', () => {
    it('publishes one EMF document per committed batch with the batch metrics', async () => {
      // Prepare: defaults for metrics and logs, as on Lambda.
      vi.stubEnv('POWERTOOLS_DEV', '');
      vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
      const handler = createProcessorHandler(wordCount, {
        env: { TABLE_NAME: 'checkpoints', BUCKET_NAME: 'wal-bucket', APP_NAME: 'words' },
        checkpoints: new MemoryCheckpointStore(),
        objects: new MemoryObjectStore(),
        clock: new FakeClock({ startMs: NOW }),
      });
      // Act
      const out = await stdoutJson(() => handler(eventOf(recordsOf(['a b', 'b c'], 1, NOW - 3_000), 'shardId-000000000004')));
      // Assess
      const emf = out.filter((o) => '_aws' in o);
      expect(emf).toHaveLength(1);
      const doc = emf[0] as {
        _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
      } & Record<string, unknown>;
      expect(doc._aws.CloudWatchMetrics[0]!.Namespace).toBe('sluice');
      expect(doc._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'ShardId']]);
      expect(doc._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, m.Unit])).toEqual([
        ['Records', 'Count'],
        ['ProcessingMs', 'Milliseconds'],
        ['SchedulingDelayMs', 'Milliseconds'],
        ['MillisBehind', 'Milliseconds'],
        ['Quarantined', 'Count'],
      ]);
      expect(doc).toMatchObject({
        service: 'words',
        ShardId: 'shardId-000000000004',
        Records: 2,
        SchedulingDelayMs: 3_000,
        MillisBehind: 3_000,
        Quarantined: 0,
        batchNo: '1',
      });
    });

    it('publishes the rate limit a batch was cut under, when one applies', async () => {
      // Prepare: a static limit of 500 records/s per shard.
      vi.stubEnv('POWERTOOLS_DEV', '');
      vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
      const handler = createProcessorHandler(wordCount, {
        env: { TABLE_NAME: 'checkpoints', BUCKET_NAME: 'wal-bucket', APP_NAME: 'words', MAX_RATE_PER_SHARD: '500' },
        checkpoints: new MemoryCheckpointStore(),
        objects: new MemoryObjectStore(),
        clock: new FakeClock({ startMs: NOW }),
      });
      // Act
      const out = await stdoutJson(() => handler(eventOf(recordsOf(['a b'], 1, NOW))));
      // Assess
      const doc = out.find((o) => '_aws' in o) as { _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string; Unit: string }> }> } } & Record<
        string,
        unknown
      >;
      expect(doc._aws.CloudWatchMetrics[0]!.Metrics).toContainEqual({ Name: 'RateLimit', Unit: 'Count/Second' });
      expect(doc.RateLimit).toBe(500);
    });

    it('publishes records set aside outside a batch (undecodable event data) once, in a document of their own', async () => {
      // Prepare: an event of three records, the second not valid base64.
      vi.stubEnv('POWERTOOLS_DEV', '');
      vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
      const handler = createProcessorHandler(wordCount, {
        env: { TABLE_NAME: 'checkpoints', BUCKET_NAME: 'wal-bucket', APP_NAME: 'words' },
        checkpoints: new MemoryCheckpointStore(),
        objects: new MemoryObjectStore(),
        clock: new FakeClock({ startMs: NOW }),
      });
      const event = eventOf(recordsOf(['a b', 'c', 'd'], 1, NOW), 'shardId-000000000002');
      event.Records[1]!.kinesis.data = 'not base64!';
      // Act
      const out = await stdoutJson(() => handler(event));
      // Assess: the batch's document counts none, the set-aside document counts one.
      const emf = out.filter((o) => '_aws' in o) as Array<
        { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> } } & Record<string, unknown>
      >;
      const aside = emf.filter((d) => !('Records' in d));
      expect(aside).toHaveLength(1);
      expect(aside[0]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'ShardId']]);
      expect(aside[0]!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)).toEqual(['Quarantined']);
      expect(aside[0]).toMatchObject({ service: 'words', ShardId: 'shardId-000000000002', Quarantined: 1 });
      expect(emf.reduce((sum, d) => sum + Number(d.Quarantined ?? 0), 0)).toBe(1);
    });

    it('counts the records of a batch set aside after too many attempts once, in its batch document', async () => {
      // Prepare: a sink that refuses every batch; one attempt before the batch is set aside.
      vi.stubEnv('POWERTOOLS_DEV', '');
      vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
      const refusing = pipeline('words').foreachBatch(() => {
        throw new Error('the sink refuses every batch');
      });
      const handler = createProcessorHandler(refusing, {
        env: { TABLE_NAME: 'checkpoints', BUCKET_NAME: 'wal-bucket', MAX_BATCH_ATTEMPTS: '1' },
        checkpoints: new MemoryCheckpointStore(),
        objects: new MemoryObjectStore(),
        clock: new FakeClock({ startMs: NOW }),
      });
      // Act
      const out = await stdoutJson(() => handler(eventOf(recordsOf(['a', 'b', 'c'], 1, NOW))));
      // Assess: three records set aside, counted three times in all, not six.
      const emf = out.filter((o) => '_aws' in o);
      expect(emf.reduce((sum, d) => sum + Number(d.Quarantined ?? 0), 0)).toBe(3);
      expect(emf.find((d) => d.Records === 3)).toMatchObject({ Quarantined: 3 });
    });

    it('sends print() output to the structured log, keyed by batch id', async () => {
      vi.stubEnv('POWERTOOLS_DEV', '');
      vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
      const handler = createProcessorHandler(wordCount, {
        env: { TABLE_NAME: 'checkpoints', BUCKET_NAME: 'wal-bucket' },
        checkpoints: new MemoryCheckpointStore(),
        objects: new MemoryObjectStore(),
        clock: new FakeClock({ startMs: NOW }),
        metrics: new EmfMetrics({ app: 'word-count' }),
      });
      const out = await stdoutJson(() => handler(eventOf(recordsOf(['x y x'], 1, NOW))));
      const print = out.find((o) => o.message === 'print');
      expect(print).toMatchObject({
        level: 'INFO',
        service: 'word-count',
        batchId: 'word-count/shardId-000000000000/1',
        total: 2,
        items: [
          ['x', 2],
          ['y', 1],
        ],
      });
      expect(out.find((o) => o.message === 'invocation done')).toMatchObject({ shardId: 'shardId-000000000000', records: 1, committedSeq: '1' });
    });
  });
});
