import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TestAwsApp } from '../aws/aws-app';
import { offlineLockfile, type AppManifest } from '../../helpers/offline-lockfile';
import { eventOf } from '../../unit/functions/fixtures';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SLUICE_BIN = join(REPO, 'bin', 'sluice.mjs');
const APP = 'shop-words';
/** npm ci of the app, cdk synth with two bundles, the app's own vitest: minutes on a busy 2-core box. */
const SLOW_MS = 300_000;

/** A command in a folder, as a user types it; rejects with its output when it fails. */
async function sh(cwd: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, {
      cwd,
      env: { ...process.env, ...env, NODE_OPTIONS: '', NO_COLOR: '1', FORCE_COLOR: '0' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: SLOW_MS,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

let work: string;
let appDir: string;
let packedFiles: string[];

// The package as a user gets it: packed from this repository (dist/ as the test run built it),
// installed offline into an app that `sluice init` scaffolded in a folder outside the repository.
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sluice-consumer-'));
  const { stdout } = await sh(REPO, 'npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work]);
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = packed!.files.map((f) => f.path).sort();
  const tarball = join(work, packed!.filename);

  appDir = join(work, APP);
  await sh(work, process.execPath, [SLUICE_BIN, 'init', APP]);
  const manifest = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as AppManifest & { dependencies: Record<string, string> };
  manifest.dependencies.sluice = `file:../${packed!.filename}`;
  writeFileSync(join(appDir, 'package.json'), JSON.stringify(manifest, null, 2));
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const sluiceManifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string };
  writeFileSync(
    join(appDir, 'package-lock.json'),
    JSON.stringify(
      offlineLockfile(join(REPO, 'package-lock.json'), manifest, { spec: manifest.dependencies.sluice, integrity, manifest: sluiceManifest }),
      null,
      2,
    ),
  );
  await sh(appDir, 'npm', ['ci', '--offline', '--no-audit', '--no-fund']);
}, SLOW_MS);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('sluice as an installed package, in an app outside the repository', () => {
  it('packs only what a consumer needs: the build, the command and the app template', () => {
    // Assess: every file is one of these, and the entries each export names are there.
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^bin\/sluice\.mjs$/,
      /^dist\/[\w/-]+\.(js|d\.ts|js\.map)$/,
      /^templates\/app\/[\w./-]+$/,
      /^web\/(index\.html|app\.js|style\.css)$/,
    ];
    expect(packedFiles.filter((f) => !allowed.some((pattern) => pattern.test(f)))).toEqual([]);
    for (const entry of ['index', 'lambda', 'cdk', 'producer', 'testing'])
      expect(packedFiles).toEqual(expect.arrayContaining([`dist/${entry}.js`, `dist/${entry}.d.ts`]));
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'dist/cli.js',
        'dist/functions/processor.js',
        'dist/functions/controller.js',
        'templates/app/src/pipeline.ts',
        'templates/app/gitignore',
        'web/index.html',
        'web/app.js',
        'web/style.css',
      ]),
    );
    // Types only for what a user imports: not for the command or the Lambda entries.
    expect(packedFiles.filter((f) => f === 'dist/cli.d.ts' || (f.startsWith('dist/functions/') && f.endsWith('.d.ts')))).toEqual([]);
  });

  it('imports sluice and sluice/cdk with plain Node, no TypeScript loader', async () => {
    // Act
    const { stdout } = await sh(appDir, process.execPath, [
      '--input-type=module',
      '-e',
      "const s = await import('sluice'); const c = await import('sluice/cdk'); const l = await import('sluice/lambda'); console.log(typeof s.pipeline, typeof c.StreamProcessor, typeof l.createProcessorHandler)",
    ]);
    // Assess
    expect(stdout.trim()).toBe('function function function');
  });

  it(
    "passes the scaffolded app's own npm test, and its type check against the shipped .d.ts",
    async () => {
      // Act
      const test = await sh(appDir, 'npm', ['test']);
      await sh(appDir, 'npm', ['run', 'typecheck']);
      // Assess
      expect(test.stdout).toMatch(/Tests +1 passed/);
    },
    SLOW_MS,
  );

  it(
    'runs the TypeScript pipeline with sluice run over a file, with exact counts',
    async () => {
      // Prepare
      const lines = Array.from({ length: 1_000 }, (_, i) => `apple ${i % 2 === 0 ? 'pear' : 'fig'} apple`);
      writeFileSync(join(appDir, 'words.txt'), `${lines.join('\n')}\n`);
      // Act
      const ran = await sh(appDir, 'npx', ['sluice', 'run', '--pipeline', 'src/pipeline.ts', '--source', 'file:words.txt', '--checkpoint-dir', '.sluice/file']);
      const dump = await sh(appDir, 'npx', ['sluice', 'state', 'dump', '--pipeline', 'src/pipeline.ts', '--checkpoint-dir', '.sluice/file']);
      // Assess
      expect(ran.stdout).toMatch(/stopped \(drained\): 1,000 records/);
      expect(JSON.parse(dump.stdout)).toEqual({ apple: 2_000, pear: 500, fig: 500 });
    },
    SLOW_MS,
  );

  it(
    'serves sluice ui from the installed package: the page, its script and the charting libraries, offline',
    async () => {
      // Act: the UI of the run above, started from the app's own node_modules.
      const ui = spawn(
        join(appDir, 'node_modules', '.bin', 'sluice'),
        ['ui', '--pipeline', 'src/pipeline.ts', '--checkpoint-dir', '.sluice/file', '--port', '0', '--duration', '120'],
        { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          ui.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /sluice ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
            if (m !== null) resolve(m[1]!);
          });
          ui.on('close', (code) => reject(new Error(`sluice ui exited ${code}: ${out}`)));
        });
        const get = async (path: string): Promise<{ status: number; body: string }> => {
          const res = await fetch(`${url}${path}`);
          return { status: res.status, body: await res.text() };
        };
        const [page, script, vega, vegaLite] = await Promise.all([get(''), get('app.js'), get('vendor/vega.min.js'), get('vendor/vega-lite.min.js')]);
        let snapshot = { batches: [] as unknown[], shards: [] as unknown[] };
        for (let i = 0; i < 50 && snapshot.shards.length === 0; i++) {
          snapshot = JSON.parse((await get('api/snapshot')).body) as typeof snapshot;
          if (snapshot.shards.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        // Assess
        expect(page.status).toBe(200);
        expect(page.body).toContain('<script src="/vendor/vega-lite.min.js"></script>');
        expect(script.status).toBe(200);
        expect(vega.status).toBe(200);
        expect(vega.body.length).toBeGreaterThan(100_000);
        expect(vegaLite.status).toBe(200);
        expect(snapshot.shards).toHaveLength(1);
        expect(snapshot.batches.length).toBeGreaterThanOrEqual(1);
      } finally {
        ui.kill('SIGTERM');
      }
    },
    SLOW_MS,
  );

  it(
    "synthesizes with cdk synth, offline, a processor that bundles and runs the app's own pipeline",
    async () => {
      // Act: cdk synth as the app's README says, then the processor bundle on the test's emulator.
      await sh(appDir, 'npx', ['cdk', 'synth', '--quiet']);
      const processorAsset = assetOf(appDir, 'Processor');
      const aws = await new TestAwsApp(inject('awsEndpoint')).create();
      try {
        const event = eventOf(
          ['to be or', 'not to be'].map((line, i) => ({
            seq: String(i + 1),
            arrivalMs: Date.now(),
            partitionKey: String(i),
            data: new TextEncoder().encode(line),
          })),
        );
        const script = `const { handler } = await import(${JSON.stringify(join(processorAsset, 'index.mjs'))}); console.log(JSON.stringify(await handler(${JSON.stringify(event)})));`;
        const invoked = await sh(appDir, process.execPath, ['--input-type=module', '-e', script], {
          APP_NAME: APP,
          PIPELINE: APP,
          TABLE_NAME: aws.tableName,
          BUCKET_NAME: aws.bucketName,
          AWS_ENDPOINT_URL: inject('awsEndpoint'),
        });
        // Assess: the app's pipeline printed its totals through the function's log, and committed.
        const print = invoked.stdout
          .split('\n')
          .filter((line) => line.includes('"message":"print"'))
          .map((line) => JSON.parse(line) as { items: unknown[] });
        expect(print).toHaveLength(1);
        expect(new Map(print[0]!.items as Array<[string, number]>)).toEqual(
          new Map([
            ['to', 2],
            ['be', 2],
            ['or', 1],
            ['not', 1],
          ]),
        );
        expect(invoked.stdout).toContain('{"batchItemFailures":[]}');
      } finally {
        await aws.destroy();
      }
    },
    SLOW_MS,
  );
});

/** The folder of the bundled code of the function whose path contains `name`, in cdk.out. */
function assetOf(dir: string, name: string): string {
  const template = JSON.parse(
    readFileSync(
      join(
        dir,
        'cdk.out',
        readdirSync(join(dir, 'cdk.out')).find((f) => f.endsWith('.template.json'))!,
      ),
      'utf8',
    ),
  ) as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
  const fn = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.includes(name));
  if (fn === undefined) throw new Error(`no function ${name} in the template`);
  return join(dir, 'cdk.out', fn[1].Metadata!['aws:asset:path']!);
}
