import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../helpers/run-cli';

describe('sluice init', () => {
  it('scaffolds an npm app named after its folder, depending on this sluice', async () => {
    // Prepare
    const parent = mkdtempSync(join(tmpdir(), 'sluice-init-'));
    // Act
    const result = await runCli(['init', 'Click Stream'], { cwd: parent });
    // Assess
    expect(result.code, result.stderr).toBe(0);
    const dir = join(parent, 'Click Stream');
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    const own = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(manifest.name).toBe('click-stream');
    expect(manifest.dependencies.sluice).toBe(`^${own.version}`);
    expect(manifest.scripts).toMatchObject({ start: 'sluice run --pipeline src/pipeline.ts', test: 'vitest run' });
    expect(readFileSync(join(dir, 'src/pipeline.ts'), 'utf8')).toContain("pipeline('click-stream')");
    expect(readFileSync(join(dir, 'cdk/app.ts'), 'utf8')).toContain("new Stack(app, 'ClickStream')");
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('node_modules/');
    expect(result.stdout).toContain('npm install && npm start');
  });

  it('refuses a folder that is not empty, in one line, and writes nothing', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'sluice-init-'));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    // Act
    const result = await runCli(['init', dir]);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sluice: [dir]: ${dir} is not empty: give a new or empty folder (sluice init my-app)\n`);
  });

  it('refuses an app name that cannot name a pipeline', async () => {
    // Prepare
    const dir = join(mkdtempSync(join(tmpdir(), 'sluice-init-')), 'app');
    mkdirSync(dir);
    // Act
    const result = await runCli(['init', dir, '--name', 'Bad_Name']);
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`sluice: --name: must be 1-40 lowercase letters, digits or '-', starting with a letter or digit (given "Bad_Name")\n`);
  });
});
