import { afterEach, describe, expect, it, vi } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import topKGlobal from '../../../examples/top-k-global';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import { ConfigError, CorruptDataError, StateLimitError } from '../../../lib/core/errors';
import { StateBudget } from '../../../lib/runtime/protocol/state/state-budget';
import { pipeline } from '../../../lib/core/pipeline/stream';
import { createProcessorHandler, type ProcessorHandlerDeps } from '../../../lib/compose/create-processor-handler';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { FakeClock } from '../../helpers/fake-clock';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';
import { DOCS_SAMPLE_EVENT, eventOf, recordingMetrics, silentLogger } from './fixtures';

const ENV = { TABLE_NAME: 'checkpoints', BUCKET_NAME: 'wal-bucket' };
const NOW = 1_700_000_000_000;

function setup(env: Record<string, string> = {}, deps: Partial<ProcessorHandlerDeps> = {}) {
  const checkpoints = new MemoryCheckpointStore();
  const objects = new MemoryObjectStore();
  const clock = new FakeClock({ startMs: NOW, autoAdvance: true });
  const metrics = recordingMetrics();
  const handler = createProcessorHandler(wordCount, { env: { ...ENV, ...env }, checkpoints, objects, clock, metrics, logger: silentLogger(), ...deps });
  const state = async () => stateToJson(await readMergedState(checkpoints, objects, handler.config.app, compilePipeline(wordCount)));
  return { handler, checkpoints, objects, clock, metrics, state };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('createProcessorHandler', () => {
  describe('handler', () => {
    it('counts the words of the sample event from the AWS docs', async () => {
      // Prepare
      const { handler, state, metrics } = setup();
      // Act
      const response = await handler(DOCS_SAMPLE_EVENT);
      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(await state()).toEqual({ 'Hello,': 1, this: 1, is: 1, a: 1, 'test.': 1 });
      expect(metrics.batches.map((b) => [b.shardId, b.records])).toEqual([['shardId-000000000006', 1]]);
    });

    it('answers one item failure, at the first record the rate limit deferred', async () => {
      // Prepare: 5 records/s and a one-second batch interval admit 5 of 12 records.
      const { handler, state } = setup({ MAX_RATE_PER_SHARD: '5' });
      const lines = sampleLines(12);
      const records = recordsOf(lines, 101, NOW);
      // Act
      const response = await handler(eventOf(records));
      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '106' }] });
      expect(await state()).toEqual(countWords(lines.slice(0, 5)));
    });

    it('paces the redelivery: it waits for the schedule, then takes the next allowance', async () => {
      // Prepare: the first invocation used the shard's allowance until NOW + 1 s.
      const { handler, state, clock, metrics } = setup({ MAX_RATE_PER_SHARD: '5' });
      const lines = sampleLines(12);
      const records = recordsOf(lines, 101, NOW);
      await handler(eventOf(records));
      // Act: the ESM redelivers at once.
      const response = await handler(eventOf(records.slice(5)));
      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '111' }] });
      expect(await state()).toEqual(countWords(lines.slice(0, 10)));
      expect(clock.nowMs()).toBeGreaterThanOrEqual(NOW + 1_000);
      expect(metrics.batches.map((b) => b.schedulingDelayMs)).toEqual([0, 0]);
    });

    it('changes state once when the ESM redelivers a committed batch', async () => {
      const { handler, state } = setup();
      const lines = sampleLines(20);
      const event = eventOf(recordsOf(lines, 1, NOW));
      await handler(event);
      expect(await handler(event)).toEqual({ batchItemFailures: [] });
      expect(await state()).toEqual(countWords(lines));
    });

    it('reports scheduling delay net of the batching window, and the age of the last record', async () => {
      // Prepare: records arrived 9 s and 4 s before processing; the ESM window is 2 s.
      const { handler, metrics } = setup({ BATCHING_WINDOW_SECONDS: '2' });
      const records = [...recordsOf(['a'], 1, NOW - 9_000), ...recordsOf(['b'], 2, NOW - 4_000)];
      // Act
      await handler(eventOf(records));
      // Assess
      expect(metrics.batches[0]).toMatchObject({ schedulingDelayMs: 7_000, millisBehind: 4_000 });
    });

    it('returns no failures for an event without records', async () => {
      const { handler, metrics } = setup();
      expect(await handler({ Records: [] })).toEqual({ batchItemFailures: [] });
      expect(metrics.batches).toEqual([]);
    });

    it('rejects an event that mixes shards', async () => {
      const { handler } = setup();
      const event = { Records: [...eventOf(recordsOf(['a'], 1)).Records, ...eventOf(recordsOf(['b'], 2), 'shardId-000000000001').Records] };
      await expect(handler(event)).rejects.toThrow(CorruptDataError);
      await expect(handler(event)).rejects.toThrow('mixes shards shardId-000000000000 and shardId-000000000001');
    });

    it('fails when the state outgrows its memory budget, naming it, and sets nothing aside', async () => {
      // Prepare: a budget of 1 MB, and a batch that makes 2 keys of 600 KB of state each (~1.8 MB in memory).
      const big = pipeline('big-state')
        .map((line): [string, string] => [line, line])
        .updateStateByKey<string, string, string>((values) => values[0]!.repeat(600_000), { name: 'blobs', merge: (a) => a });
      const checkpoints = new MemoryCheckpointStore();
      const objects = new MemoryObjectStore();
      const handler = createProcessorHandler(big, {
        env: ENV,
        checkpoints,
        objects,
        clock: new FakeClock(),
        metrics: recordingMetrics(),
        logger: silentLogger(),
        stateBudget: new StateBudget(1_000_000 / 0.6, 'memorySize'),
      });
      // Act
      const invocation = handler(eventOf(recordsOf(['x', 'y'], 1)));
      // Assess: the invocation fails, the ESM retries, and each retry fails the same way; nothing committed or quarantined.
      await expect(invocation).rejects.toThrow(StateLimitError);
      await expect(handler(eventOf(recordsOf(['x', 'y'], 1)))).rejects.toThrow(
        /shard shardId-000000000000: its state \(2 keys, about 2 MB in memory\) does not fit this process's budget of 1 MB .*raise memorySize, or spread the keys over more shards/,
      );
      expect(await checkpoints.get('big-state#shardId-000000000000', 'meta#checkpoint')).toBeUndefined();
      expect(await objects.list('quarantine/')).toEqual([]);
    });
  });

  describe('idle tick event', () => {
    /** A handler of 1 s tumbling windows of arrival time, sending each window to `windows`. */
    function windowedHandler() {
      const windows: Array<[endMs: number, count: number]> = [];
      const win = pipeline('win')
        .countByWindow({ windowMs: 1_000 })
        .foreachBatch((ws) => {
          for (const w of ws) windows.push([w.endMs - NOW, w.value]);
        });
      const handler = createProcessorHandler(win, {
        env: ENV,
        checkpoints: new MemoryCheckpointStore(),
        objects: new MemoryObjectStore(),
        clock: new FakeClock({ startMs: NOW + 60_000 }),
        metrics: recordingMetrics(),
        logger: silentLogger(),
      });
      return { handler, windows };
    }

    it('runs an idle tick of the shard it names, closing the windows arrival time has passed', async () => {
      // Prepare: two records in [0 s, 1 s), which no later record closes.
      const { handler, windows } = windowedHandler();
      await handler(eventOf(recordsOf(['a', 'b'], 1, NOW + 100), 'shardId-000000000007'));
      // Act
      const response = await handler({ sluiceIdleTick: { shardId: 'shardId-000000000007', idleAtMs: NOW + 1_000 } });
      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(windows).toEqual([[1_000, 2]]);
    });

    it('refuses records of another stream than the one the shard was committed from', async () => {
      // Prepare
      const { handler } = windowedHandler();
      await handler(eventOf(recordsOf(['a'], 1, NOW), 'shardId-000000000007'));
      const otherStream = eventOf(recordsOf(['b'], 2, NOW), 'shardId-000000000007');
      for (const r of otherStream.Records) r.eventSourceARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/other';
      // Act / Assess
      await expect(handler(otherStream)).rejects.toThrow(
        /holds the offsets of arn:aws:kinesis:us-east-1:000000000000:stream\/words .*not of arn:aws:kinesis:us-east-1:000000000000:stream\/other/,
      );
    });

    it('refuses a tick event of the wrong shape, saying what it needs', async () => {
      const { handler } = windowedHandler();
      await expect(handler({ sluiceIdleTick: { shardId: 'shardId-000000000007' } } as never)).rejects.toThrow(CorruptDataError);
      await expect(handler({ sluiceIdleTick: { shardId: '', idleAtMs: 5 } })).rejects.toThrow(
        /needs sluiceIdleTick.shardId \(a shard id\) and sluiceIdleTick.idleAtMs/,
      );
    });
  });

  describe('cold start', () => {
    it.each([
      { env: {}, message: 'TABLE_NAME is not set: required' },
      { env: { TABLE_NAME: 'ab' }, message: 'TABLE_NAME="ab": must be a DynamoDB table name' },
      { env: { BUCKET_NAME: 'My_Bucket' }, message: 'BUCKET_NAME="My_Bucket": must be an S3 bucket name' },
      { env: { WAL_ENABLED: 'yes' }, message: 'WAL_ENABLED="yes": must be "true" or "false"' },
      { env: { MAX_RATE_PER_SHARD: 'fast' }, message: 'MAX_RATE_PER_SHARD="fast": must be a number of records per second > 0' },
      { env: { MAX_RATE_PER_SHARD: '0' }, message: 'MAX_RATE_PER_SHARD="0": must be > 0 records per second' },
      { env: { BATCHING_WINDOW_SECONDS: '1.5' }, message: 'BATCHING_WINDOW_SECONDS="1.5": must be whole seconds from 0 to 300' },
      { env: { BATCHING_WINDOW_SECONDS: '301' }, message: 'BATCHING_WINDOW_SECONDS="301": must be whole seconds from 0 to 300' },
      { env: { MAX_BATCH_ATTEMPTS: '0' }, message: 'MAX_BATCH_ATTEMPTS="0": must be a whole number of attempts from 1 to 10000' },
      { env: { APP_NAME: 'a/b' }, message: `APP_NAME="a/b": must be 1-40 lowercase letters, digits or '-', starting with a letter or digit` },
      { env: { PIPELINE: 'top-k' }, message: 'PIPELINE="top-k": must name the pipeline bundled into this function, which is "word-count"' },
    ])('rejects $env naming the variable, the value and the rule', ({ env, message }) => {
      const build = () =>
        createProcessorHandler(wordCount, {
          env: { ...(Object.keys(env).includes('TABLE_NAME') || Object.keys(env).length === 0 ? {} : ENV), ...env } as Record<string, string>,
          checkpoints: new MemoryCheckpointStore(),
          objects: new MemoryObjectStore(),
        });
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(message);
    });

    it('reads the defaults: app from the pipeline, WAL on, no static rate, no window, 5 attempts', () => {
      const { handler } = setup();
      expect(handler.config).toEqual({
        app: 'word-count',
        tableName: 'checkpoints',
        bucketName: 'wal-bucket',
        walEnabled: true,
        maxRatePerShard: undefined,
        batchingWindowMs: 0,
        maxBatchAttempts: 5,
        stage: 0,
        exchangeStream: undefined,
        exchangeOriginsStream: undefined,
      });
    });

    describe('a pipeline with exchanges (top-k-global: 3 stages)', () => {
      const build = (env: Record<string, string | undefined>) => () =>
        createProcessorHandler(topKGlobal, { env: { ...ENV, ...env }, checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() });

      it.each([
        { env: { SLUICE_STAGE: '3' }, message: 'SLUICE_STAGE="3": "top-k-global" has 3 stages: 0 to 2' },
        { env: { SLUICE_STAGE: 'one' }, message: 'SLUICE_STAGE="one": must be a whole stage index from 0 to 99' },
        { env: {}, message: 'SLUICE_EXCHANGE_STREAM is not set: stage 0 of "top-k-global" ends at keyBy/global' },
        {
          env: { SLUICE_STAGE: '1', SLUICE_EXCHANGE_STREAM: 'x' },
          message: 'SLUICE_EXCHANGE_ORIGINS_STREAM is not set: stage 1 of "top-k-global" reads an exchange',
        },
        {
          env: { SLUICE_STAGE: '2', SLUICE_EXCHANGE_STREAM: 'x', SLUICE_EXCHANGE_ORIGINS_STREAM: 'y' },
          message: 'SLUICE_EXCHANGE_STREAM="x": stage 2 of "top-k-global" sends to no exchange; unset it',
        },
        {
          env: { SLUICE_EXCHANGE_STREAM: 'x', SLUICE_EXCHANGE_ORIGINS_STREAM: 'y' },
          message: 'SLUICE_EXCHANGE_ORIGINS_STREAM="y": stage 0 of "top-k-global" reads no exchange',
        },
        { env: { SLUICE_EXCHANGE_STREAM: 'a/b' }, message: 'SLUICE_EXCHANGE_STREAM="a/b": must be a Kinesis stream name' },
      ])('rejects $env naming the variable and the stage', ({ env, message }) => {
        expect(build(env)).toThrow(ConfigError);
        expect(build(env)).toThrow(message);
      });

      it('runs the stage the environment names, under the stage app', () => {
        const handler = build({ SLUICE_STAGE: '1', APP_NAME: 'topk', SLUICE_EXCHANGE_STREAM: 'sluice-topk.s2', SLUICE_EXCHANGE_ORIGINS_STREAM: 'words' })();
        expect(handler.config).toMatchObject({ app: 'topk.s1', stage: 1, exchangeStream: 'sluice-topk.s2', exchangeOriginsStream: 'words' });
      });

      it("runs a stage when the exchanges the stack deployed are the pipeline's", () => {
        const handler = build({ SLUICE_EXCHANGE_PARTITIONS: '4,1', SLUICE_STAGE: '2', SLUICE_EXCHANGE_ORIGINS_STREAM: 'sluice-topk.s1' })();
        expect(handler.config).toMatchObject({ app: 'top-k-global.s2', stage: 2 });
      });

      it.each([
        {
          case: 'one exchange fewer than the stack deployed',
          pipeline: () =>
            pipeline('top-k-global')
              .keyBy((w) => w, { partitions: 4 })
              .countByValue(),
          env: { SLUICE_EXCHANGE_PARTITIONS: '4,1', SLUICE_STAGE: '0', SLUICE_EXCHANGE_STREAM: 'sluice-topk.s1' },
          message:
            'SLUICE_EXCHANGE_PARTITIONS="4,1": the stack deployed 2 exchanges of [4, 1] partitions (StreamProcessor exchangeShardCounts), but the pipeline "top-k-global" bundled into this function has 1 exchange of [4] partitions (keyBy/global, in order); deploy it with exchangeShardCounts: [4], or bundle the pipeline the stack was built for',
        },
        {
          case: 'another partition count',
          pipeline: () => topKGlobal,
          env: { SLUICE_EXCHANGE_PARTITIONS: '8,1', SLUICE_STAGE: '1', SLUICE_EXCHANGE_STREAM: 'x', SLUICE_EXCHANGE_ORIGINS_STREAM: 'y' },
          message:
            'SLUICE_EXCHANGE_PARTITIONS="8,1": the stack deployed 2 exchanges of [8, 1] partitions (StreamProcessor exchangeShardCounts), but the pipeline "top-k-global" bundled into this function has 2 exchanges of [4, 1] partitions',
        },
        {
          case: 'no exchange in the pipeline',
          pipeline: () => wordCount,
          env: { SLUICE_EXCHANGE_PARTITIONS: '4', SLUICE_STAGE: '1', SLUICE_EXCHANGE_ORIGINS_STREAM: 'y' },
          message: 'the pipeline "word-count" bundled into this function has no exchange (keyBy/global, in order); deploy it with exchangeShardCounts: []',
        },
        {
          case: 'a malformed layout',
          pipeline: () => topKGlobal,
          env: { SLUICE_EXCHANGE_PARTITIONS: '4;1', SLUICE_EXCHANGE_STREAM: 'x' },
          message: 'SLUICE_EXCHANGE_PARTITIONS="4;1": must be the partitions of each exchange the stack deployed',
        },
      ])('fails at cold start, in one line naming both, when the pipeline bundled in has $case', ({ pipeline: bundled, env, message }) => {
        const create = () =>
          createProcessorHandler(bundled() as typeof topKGlobal, {
            env: { ...ENV, ...env },
            checkpoints: new MemoryCheckpointStore(),
            objects: new MemoryObjectStore(),
          });
        expect(create).toThrow(ConfigError);
        expect(create).toThrow(message);
        // One line: the layout replaces the stage problems it causes (the variables of another stage's wiring).
        expect(create).not.toThrow(/;.*SLUICE_EXCHANGE_(STREAM|ORIGINS_STREAM)|SLUICE_STAGE=/);
      });

      it('refuses a stage on a pipeline without exchanges', () => {
        const wrong = () => setup({ SLUICE_STAGE: '1' });
        expect(wrong).toThrow('SLUICE_STAGE="1": "word-count" has one stage (no keyBy/global): 0');
      });
    });

    it('fails the function entry at import when its environment is wrong', async () => {
      vi.stubEnv('TABLE_NAME', '');
      vi.stubEnv('BUCKET_NAME', 'wal-bucket');
      await expect(import('../../../functions/processor')).rejects.toThrow('TABLE_NAME is not set');
    });

    it('builds the function entry for the word count from its environment', async () => {
      vi.stubEnv('TABLE_NAME', 'checkpoints');
      vi.stubEnv('BUCKET_NAME', 'wal-bucket');
      vi.stubEnv('APP_NAME', 'words-prod');
      vi.stubEnv('MAX_RATE_PER_SHARD', '500');
      const { handler } = await import('../../../functions/processor');
      expect(handler.config).toMatchObject({ app: 'words-prod', maxRatePerShard: 500 });
    });
  });
});
