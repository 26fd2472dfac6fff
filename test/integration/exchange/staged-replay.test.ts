import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { S3ObjectStore } from '../../../lib/adapters/aws/s3-object-store';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { MemoryObjectStore } from '../../../lib/adapters/local/memory-object-store';
import { openLocalStores } from '../../../lib/compose/open-local-app';
import { compileStages, stageApp, type StagedPipeline } from '../../../lib/core/engine/compile-stages';
import type { Stream } from '../../../lib/core/pipeline/stream';
import type { CheckpointStore } from '../../../lib/ports/checkpoint-store';
import type { ObjectStore } from '../../../lib/ports/object-store';
import type { OutputSink } from '../../../lib/ports/output-sink';
import { StagedLocalDriver } from '../../../lib/runtime/local-driver/staged-local-driver';
import { readMergedState } from '../../../lib/runtime/protocol/read-merged-state';
import { replayStagedWal } from '../../../lib/runtime/tools/replay-staged';
import { readReplayStatus } from '../../../lib/runtime/tools/replay-status';
import topKGlobal from '../../../examples/top-k-global';
import wordCountGlobal from '../../../examples/word-count-global';
import { CrashInjector, InjectedCrash } from '../../helpers/crash-injector';
import { FakeClock } from '../../helpers/fake-clock';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';
import { runCli } from '../../helpers/run-cli';
import { seededRandom } from '../../../lib/core/util/seeded-random';
import { SluiceError } from '../../../lib/core/errors';
import { countOf, TimedShardsSource, timedCorpus, type TimedLine } from '../../helpers/timed-shards-source';
import { expectTop10, windowEnds } from '../../helpers/top-k-reference';

const START_MS = Date.UTC(2026, 0, 1, 0, 0, 0, 300);
const PIPELINE = join(import.meta.dirname, '../../../examples/word-count-global.ts');

interface Stores {
  readonly checkpoints: CheckpointStore;
  readonly objects: ObjectStore;
}

/** Windows printed by the last stage of top-k-global. */
type TopKWindow = { startMs: number; endMs: number; top: Array<[string, number]> };

/** A sink that keeps what `app` printed. */
function printedBy(app: string): { output: OutputSink; items: unknown[] } {
  const items: unknown[] = [];
  return { items, output: { print: (info, _id, printed) => void (info.app === app && items.push(...printed)) } };
}

/** Runs every stage of `staged` over `lines` on `shards` source shards, as `sluice run` does. */
async function runOriginal(staged: StagedPipeline, lines: readonly TimedLine[], shards: number, stores: Stores, output?: OutputSink): Promise<void> {
  const clock = new FakeClock({ startMs: START_MS, autoAdvance: true });
  const result = await new StagedLocalDriver({
    app: staged.name,
    staged,
    source: new TimedShardsSource([...lines], shards, clock),
    ...stores,
    clock,
    batchIntervalMs: 500,
    output,
  }).run();
  expect(result.stoppedBy).toBe('drained');
}

/** Each word's total on stage 1 and the top 10 of the leaders on stage 2 of word-count-global, in `app`. */
async function expectWordCount(stores: Stores, app: string, staged: StagedPipeline, lines: readonly TimedLine[]): Promise<void> {
  const reference = countOf(lines);
  // No merge function: a word held by two partitions would be refused here.
  const totals = await readMergedState(stores.checkpoints, stores.objects, stageApp(app, 1), staged.stages[1]!, 'totals');
  expect(new Map([...totals].map(([k, v]) => [k as string, v as number]))).toEqual(reference);
  const leaders = await readMergedState(stores.checkpoints, stores.objects, stageApp(app, 2), staged.stages[2]!, 'leaders');
  const top = [...leaders].map(([k, v]) => [k as string, v as number] as const).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  expectTop10(top.slice(0, 10), reference);
}

describe('replayStagedWal: a pipeline with exchanges replayed into a new app', () => {
  it('word-count-global: stage 0 replays its WAL from files on disk, the later stages run over the new exchange; totals and top 10 equal the reference', async () => {
    // Prepare: the original run, 4 shards, in a checkpoint directory.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-staged-replay-'));
    const staged = compileStages(wordCountGlobal as Stream<unknown>);
    const lines = timedCorpus(3_000, 4, START_MS, 12_000);
    const original = openLocalStores(join(dir, 'original'));
    const fresh = openLocalStores(join(dir, 'fresh'));
    try {
      await runOriginal(staged, lines, 4, original);
      // Act
      const stages: number[] = [0, 0, 0];
      const summary = await replayStagedWal({
        source: { app: staged.name, ...original },
        target: { app: 'wcg-replayed', ...fresh },
        staged,
        onBatch: (s) => stages[s]!++,
      });
      // Assess
      expect(summary.records).toBe(3_000);
      expect(summary.shards).toBe(4);
      expect(summary.stages.map((s) => s.app)).toEqual(['wcg-replayed', 'wcg-replayed.s1', 'wcg-replayed.s2']);
      expect(summary.stages.map((s) => s.batches)).toEqual(stages);
      for (const s of summary.stages) expect(s.batches).toBeGreaterThan(0);
      await expectWordCount(fresh, 'wcg-replayed', staged, lines);
      await expectWordCount(original, staged.name, staged, lines);
      // The exchange is the new app's, and the later stages kept WALs of their own.
      expect((await fresh.objects.list('exchange/wcg-replayed.s1/')).length).toBeGreaterThan(0);
      expect((await fresh.objects.list('wal/wcg-replayed.s2/')).length).toBeGreaterThan(0);
      expect(await fresh.objects.list(`exchange/${staged.name}`)).toEqual([]);
      expect((await readReplayStatus(fresh.checkpoints, 'wcg-replayed'))?.complete).toBe(true);
    } finally {
      await original.checkpoints.close();
      await fresh.checkpoints.close();
    }
  });

  it('top-k-global: the end markers are replayed, so every 5 s window closes with the top 10 of the original', async () => {
    // Prepare
    const staged = compileStages(topKGlobal as Stream<unknown>);
    const lines = timedCorpus(4_000, 4, START_MS, 14_000, 11);
    const original = { checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    const first = printedBy(stageApp(staged.name, 2));
    await runOriginal(staged, lines, 4, original, first.output);
    // Act
    const again = printedBy('tkg-replayed.s2');
    await replayStagedWal({
      source: { app: staged.name, ...original },
      target: { app: 'tkg-replayed', checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() },
      staged,
      output: again.output,
    });
    // Assess
    const windows = again.items as TopKWindow[];
    const firstEnd = Math.floor(START_MS / 1_000) * 1_000 + 1_000;
    expect(windows.map((w) => w.endMs)).toEqual(windowEnds(firstEnd, lines[lines.length - 1]!.arrivalMs));
    expect(windows.map((w) => w.endMs)).toEqual((first.items as TopKWindow[]).map((w) => w.endMs));
    for (const w of windows) expectTop10(w.top, countOf(lines.filter((l) => l.arrivalMs >= w.startMs && l.arrivalMs < w.endMs)));
  });

  it('resumes a replay that crashed at any point, in any stage, without counting anything twice', async () => {
    // Prepare
    const staged = compileStages(wordCountGlobal as Stream<unknown>);
    const lines = timedCorpus(600, 2, START_MS, 4_000, 5);
    const original = { checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    await runOriginal(staged, lines, 2, original);
    const source = { app: staged.name, ...original };
    // Port calls of a whole replay, to crash all along it.
    const probe = new CrashInjector(Number.MAX_SAFE_INTEGER, 'before');
    await replayStagedWal({
      source,
      target: { app: 'wcg-r', checkpoints: probe.checkpoints(new MemoryCheckpointStore()), objects: probe.objects(new MemoryObjectStore()) },
      staged,
    });
    const random = seededRandom(3);
    const points = Array.from({ length: 12 }, (_, i) => Math.max(1, Math.floor(((i + random()) * probe.calls) / 12)));
    let stage1Crashes = 0;
    for (const crashAt of points) {
      for (const when of ['before', 'after'] as const) {
        const fresh = { checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
        const crash = new CrashInjector(crashAt, when);
        let laterStageRan = false;
        // Act: the first replay dies at the crash; the second one, run again as is, finishes it.
        const died = await replayStagedWal({
          source,
          target: { app: 'wcg-r', checkpoints: crash.checkpoints(fresh.checkpoints), objects: crash.objects(fresh.objects) },
          staged,
          onBatch: (s) => {
            if (s > 0) laterStageRan = true;
          },
        }).catch((error: unknown) => error);
        expect(died, `crash ${when} call ${crashAt}`).toBeInstanceOf(InjectedCrash);
        if (laterStageRan) stage1Crashes++;
        expect((await readReplayStatus(fresh.checkpoints, 'wcg-r'))?.complete).not.toBe(true);
        await replayStagedWal({ source, target: { app: 'wcg-r', ...fresh }, staged });
        // Assess
        await expectWordCount(fresh, 'wcg-r', staged, lines);
        expect((await readReplayStatus(fresh.checkpoints, 'wcg-r'))?.complete).toBe(true);
      }
    }
    // Some crashes landed once the later stages were running.
    expect(stage1Crashes).toBeGreaterThan(0);
  }, 120_000);

  it('retries a later stage that fails transiently, and ends the replay when it keeps failing; --resume finishes it', async () => {
    // Prepare: an object store whose WAL writes of stage 2 fail, a number of times in a row.
    const staged = compileStages(wordCountGlobal as Stream<unknown>);
    const lines = timedCorpus(300, 2, START_MS, 2_000, 4);
    const original = { checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    await runOriginal(staged, lines, 2, original);
    const source = { app: staged.name, ...original };
    class FlakyObjects extends MemoryObjectStore {
      failures = 0;
      constructor(public failing: number) {
        super();
      }
      override async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
        if (key.startsWith('wal/wcg-f.s2/') && this.failing > 0) {
          this.failing--;
          this.failures++;
          throw new SluiceError(`${key}: throttled`, { retryable: true });
        }
        return super.putIfAbsent(key, body);
      }
    }
    // Act: 3 failures in a row are retried; failing for good ends the replay after the attempts allowed.
    const flaky = { checkpoints: new MemoryCheckpointStore(), objects: new FlakyObjects(3) };
    await replayStagedWal({ source, target: { app: 'wcg-f', ...flaky }, staged });
    const broken = { checkpoints: new MemoryCheckpointStore(), objects: new FlakyObjects(Infinity) };
    const stopped = await replayStagedWal({ source, target: { app: 'wcg-f', ...broken }, staged, maxBatchAttempts: 2 }).then(
      () => new Error('finished'),
      (error: unknown) => error as Error,
    );
    // Assess
    expect(flaky.objects.failures).toBe(3);
    await expectWordCount(flaky, 'wcg-f', staged, lines);
    expect(stopped.message).toMatch(/^wal\/wcg-f\.s2\/.*: throttled$/);
    expect(broken.objects.failures).toBe(3);
    expect((await readReplayStatus(broken.checkpoints, 'wcg-f'))?.complete).toBe(false);
    broken.objects.failing = 0;
    await replayStagedWal({ source, target: { app: 'wcg-f', ...broken }, staged });
    await expectWordCount(broken, 'wcg-f', staged, lines);
  });

  it('refuses with one line a source app that keeps no WAL batch in the range, and writes nothing', async () => {
    // Prepare
    const staged = compileStages(wordCountGlobal as Stream<unknown>);
    const original = { checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    await runOriginal(staged, timedCorpus(100, 2, START_MS, 2_000), 2, original);
    const fresh = { checkpoints: new MemoryCheckpointStore(), objects: new MemoryObjectStore() };
    // Act
    const late = await replayStagedWal({
      source: { app: staged.name, ...original },
      target: { app: 'x', ...fresh },
      staged,
      fromMs: START_MS + 3_600_000,
    }).catch((error: unknown) => error as Error);
    const none = await replayStagedWal({ source: { app: 'other', ...original }, target: { app: 'x', ...fresh }, staged }).catch(
      (error: unknown) => error as Error,
    );
    // Assess
    expect((late as Error).message).toBe(
      `app word-count-global, stage 0 of pipeline word-count-global, keeps no WAL batch with a batch time at or after 2026-01-01T01:00:00.300Z; nothing was replayed into app x`,
    );
    expect((none as Error).message).toMatch(/^app other, stage 0 of pipeline word-count-global, keeps no WAL \(.*\); nothing was replayed into app x$/);
    expect(await fresh.objects.list('')).toEqual([]);
    expect(await readReplayStatus(fresh.checkpoints, 'x')).toBeUndefined();
  });
});

describe('sluice replay --pipeline <a pipeline with exchanges>', () => {
  it('replays the WAL of a `sluice run` of word-count-global into a new app, saying what each stage ran; a second replay is refused', async () => {
    // Prepare: `sluice run` over a file read as 4 shards.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-staged-replay-cli-'));
    const lines = timedCorpus(2_000, 1, 0, 1, 3);
    const file = join(dir, 'words.txt');
    writeFileSync(file, lines.map((l) => l.line).join('\n') + '\n');
    const run = await runCli([
      'run',
      '--pipeline',
      PIPELINE,
      '--source',
      `file:${file}`,
      '--shards',
      '4',
      '--checkpoint-dir',
      join(dir, 'ck'),
      '--batch-interval',
      '20',
      '--max-rate',
      '2000',
      '--no-backpressure',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const args = [
      'replay',
      '--pipeline',
      PIPELINE,
      '--from',
      '0',
      '--app',
      'wcg-cli',
      '--source-checkpoint-dir',
      join(dir, 'ck'),
      '--checkpoint-dir',
      join(dir, 'new'),
    ];
    // Act
    const replay = await runCli(args);
    const again = await runCli(args);
    const empty = await runCli([
      'replay',
      '--pipeline',
      PIPELINE,
      '--from',
      '2000-01-01T00:00:00Z',
      '--to',
      '2000-01-02T00:00:00Z',
      '--app',
      'wcg-empty',
      '--source-checkpoint-dir',
      join(dir, 'ck'),
      '--checkpoint-dir',
      join(dir, 'empty'),
    ]);
    // Assess
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    const out = replay.stdout.trim().split('\n');
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^replayed \d+ WAL batches \(2,000 records\) of word-count-global from 4 shard\(s\) into wcg-cli \(.*\): \d+ batches committed$/);
    expect(out[1]).toMatch(/^stage 1 \(wcg-cli\.s1\): [1-9]\d* batches committed \([\d,]+ exchange records of wcg-cli\)$/);
    expect(out[2]).toMatch(/^stage 2 \(wcg-cli\.s2\): [1-9]\d* batches committed \([\d,]+ exchange records of wcg-cli\.s1\)$/);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^sluice: --app: app wcg-cli already has state in .* \(4 shard\(s\)\); replay into a new app, or pass --resume .*\n$/);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe(
      'sluice: app word-count-global, stage 0 of pipeline word-count-global, keeps no WAL batch with a batch time in [2000-01-01T00:00:00.000Z, 2000-01-02T00:00:00.000Z); nothing was replayed into app wcg-empty\n',
    );
    const staged = compileStages(wordCountGlobal as Stream<unknown>);
    const fresh = openLocalStores(join(dir, 'new'));
    try {
      await expectWordCount(fresh, 'wcg-cli', staged, lines);
    } finally {
      await fresh.checkpoints.close();
    }
  }, 120_000);
});

describe('sluice replay --pipeline <a pipeline with exchanges> (DynamoDB + S3 on moto)', () => {
  const aws = createTestAwsClients(inject('awsEndpoint'));
  afterAll(() => aws.destroy());

  it('replays into a new app of the same table and bucket, its exchange in S3', async () => {
    // Prepare: the original run's stages keep their checkpoints in DynamoDB and their WALs in S3.
    const tableName = uniqueName('sluice-staged-replay');
    const bucket = uniqueName('sluice-staged-replay');
    await DynamoDbCheckpointStore.createTable(aws.dynamodb, tableName);
    await S3ObjectStore.createBucket(aws.s3, bucket);
    const stores = { checkpoints: new DynamoDbCheckpointStore({ client: aws.dynamodb, tableName }), objects: new S3ObjectStore({ client: aws.s3, bucket }) };
    const staged = compileStages(wordCountGlobal as Stream<unknown>);
    const lines = timedCorpus(400, 2, START_MS, 2_000, 9);
    await runOriginal(staged, lines, 2, stores);
    // Act
    const replay = await runCli([
      'replay',
      '--pipeline',
      PIPELINE,
      '--from',
      '0',
      '--app',
      'wcg-aws',
      '--endpoint',
      inject('awsEndpoint'),
      '--table',
      tableName,
      '--bucket',
      bucket,
    ]);
    // Assess
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^replayed \d+ WAL batches \(400 records\) of word-count-global from 2 shard\(s\) into wcg-aws /);
    expect(replay.stdout).toMatch(/\nstage 2 \(wcg-aws\.s2\): [1-9]\d* batches committed/);
    expect((await stores.objects.list('exchange/wcg-aws.s2/')).length).toBeGreaterThan(0);
    await expectWordCount(stores, 'wcg-aws', staged, lines);
  }, 120_000);
});
