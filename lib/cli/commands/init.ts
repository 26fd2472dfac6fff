import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ConfigError } from '../../core/errors';
import { sluicePackage } from '../../compose/package-root';
import { APP_NAME_RULE, isAppName } from '../../core/app-name';

/** Template files npm would not ship under their real name, and the name they get in the app. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** The app's development dependencies, at the versions sluice itself is built and tested with. */
const APP_DEV_DEPENDENCIES = ['aws-cdk', 'tsx', 'typescript', 'vitest', '@types/node'] as const;

/** Options of {@link scaffoldApp}. */
export interface ScaffoldOptions {
  /** Where to create the app: a missing or empty folder. */
  readonly dir: string;
  /** The app name, `pipeline(name)`: 1-40 lowercase letters, digits or '-'. @default the folder's name, made valid */
  readonly name?: string;
}

/**
 * Creates a sluice app in `dir` from `templates/app`: an npm project depending on this sluice, a
 * word-count pipeline, its in-memory test and a CDK app with `StreamProcessor`. Returns the files
 * written, relative to `dir`.
 */
export function scaffoldApp(options: ScaffoldOptions): string[] {
  const dir = resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).some((entry) => entry !== '.git')) {
    throw new ConfigError('[dir]', `${options.dir} is not empty: give a new or empty folder (sluice init my-app)`);
  }
  const name = options.name ?? appNameOf(basename(dir));
  if (!isAppName(name)) {
    throw new ConfigError('--name', `${APP_NAME_RULE} (given ${JSON.stringify(name)})`);
  }
  const own = sluicePackage();
  const vars: Record<string, string> = {
    name,
    stackName: name
      .split('-')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join(''),
  };
  const templates = join(own.root, 'templates', 'app');
  const written: string[] = [];
  for (const file of listFiles(templates)) {
    const target = join(dir, dirname(file), RENAMED[basename(file)] ?? basename(file));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(
      target,
      readFileSync(join(templates, file), 'utf8').replace(/\{\{(\w+)\}\}/g, (match, key: string) => vars[key] ?? match),
    );
    written.push(relative(dir, target));
  }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(appPackageJson(name, own), null, 2)}\n`);
  return [...written, 'package.json'].sort();
}

/** `sluice init [dir]`: scaffolds a new app. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('Create a new sluice app: a pipeline, its in-memory test, and a CDK app that deploys it with StreamProcessor.')
    .argument('[dir]', 'a new or empty folder for the app', '.')
    .option('--name <app>', "the app's name, given to pipeline(name) (default: the folder's name)")
    .action((dir: string, raw: { name?: string }) => {
      const files = scaffoldApp({ dir, name: raw.name });
      const cd = resolve(dir) === process.cwd() ? '' : `cd ${dir} && `;
      process.stdout.write(
        `created ${files.length} files in ${resolve(dir)}:\n${files.map((f) => `  ${f}`).join('\n')}\n\nnext: ${cd}npm install && npm start   (then npm test, npx cdk synth)\n`,
      );
    });
}

function appPackageJson(name: string, own: ReturnType<typeof sluicePackage>): unknown {
  const versionOf = (dep: string): string => own.peerDependencies[dep] ?? own.devDependencies[dep] ?? own.dependencies[dep] ?? 'latest';
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=22.16' },
    scripts: {
      start: 'sluice run --pipeline src/pipeline.ts',
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
      synth: 'cdk synth',
      deploy: 'cdk deploy',
    },
    dependencies: { sluice: `^${own.version}`, 'aws-cdk-lib': versionOf('aws-cdk-lib'), constructs: versionOf('constructs') },
    devDependencies: Object.fromEntries(APP_DEV_DEPENDENCIES.map((dep) => [dep, versionOf(dep)])),
  };
}

/** A folder name as an app name: lowercase, other characters as '-', at most 40. */
function appNameOf(folder: string): string {
  return (
    folder
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'my-app'
  );
}

function listFiles(root: string, sub = ''): string[] {
  return readdirSync(join(root, sub), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(root, join(sub, entry.name)) : [join(sub, entry.name)],
  );
}
