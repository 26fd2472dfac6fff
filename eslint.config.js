// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import eslintConfigPrettier from 'eslint-config-prettier/flat';

const NO_TEST = { group: ['**/test/**'], message: 'lib never imports test/.' };

/**
 * lib/runtime's folders and the sibling folders each may import (docs/architecture.md §2). Every runtime
 * folder may import lib/core and lib/ports, and none lib/adapters, lib/compose, an SDK or the CLI.
 */
const RUNTIME_MAY_IMPORT = {
  protocol: ['failures'],
  failures: ['protocol'],
  'rate-gates': ['protocol'],
  'local-driver': ['protocol', 'failures'],
  tools: ['protocol', 'failures', 'rate-gates', 'local-driver'],
  controller: ['protocol', 'lambda', 'local-driver'],
  lambda: ['protocol', 'failures', 'rate-gates', 'controller'],
  'local-esm': ['protocol', 'lambda', 'local-driver', 'failures'],
  producer: ['protocol', 'controller'],
};
const RUNTIME_FOLDERS = Object.keys(RUNTIME_MAY_IMPORT);
const SDKS = ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'];

/** The import rule of one lib/runtime folder: its siblings outside its list are refused, by relative path. */
function runtimeFolderRule(folder) {
  const refused = RUNTIME_FOLDERS.filter((f) => f !== folder && !RUNTIME_MAY_IMPORT[folder].includes(f));
  const patterns = [
    NO_TEST,
    { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
    { group: SDKS, message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.' },
    { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
  ];
  if (refused.length > 0) {
    patterns.push({
      group: refused.flatMap((f) => [`../${f}/*`, `../../${f}/*`, `../${f}`, `../../${f}`]),
      message: `lib/runtime/${folder} may not import ${refused.map((f) => `runtime/${f}`).join(', ')} (docs/architecture.md §2).`,
    });
  }
  return { files: [`lib/runtime/${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'dist/', 'bench/out/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core is pure: no SDK, no I/O, no clock, no environment, no randomness (docs/architecture.md §2).
    files: ['lib/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'net', 'os', 'path', 'child_process', 'crypto', 'zlib'], message: 'lib/core is pure: inject I/O through lib/ports.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', 'better-sqlite3', 'aws-cdk-lib', '@aws-lambda-powertools/*'],
              message: 'lib/core is pure: adapters live in lib/adapters.',
            },
            { group: ['**/adapters/**', '**/runtime/**', '**/cli/**', '**/test/**'], message: 'lib/core may import only lib/core and lib/ports.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'lib/core is pure: pass configuration in.' },
        { name: 'setTimeout', message: 'lib/core is pure: inject a Clock.' },
        { name: 'setInterval', message: 'lib/core is pure: inject a Clock.' },
        { name: 'fetch', message: 'lib/core is pure.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'lib/core is pure: inject a Clock.' },
        { object: 'Math', property: 'random', message: 'lib/core is pure: inject a seed.' },
        { object: 'performance', property: 'now', message: 'lib/core is pure: inject a Clock.' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'lib/core is pure: inject a Clock.' }],
    },
  },
  {
    // The web UI's page script runs in the browser, beside vega and vega-lite's globals.
    files: ['web/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, vega: 'readonly', vegaLite: 'readonly' } },
  },
  {
    files: ['lib/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@aws-sdk/*', 'better-sqlite3', '**/adapters/**', '**/runtime/**', '**/cli/**'], message: 'ports are interfaces only.' }] },
      ],
    },
  },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/core/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_TEST] }],
    },
  },
  // The layer boundaries of lib/adapters, lib/runtime (one rule per folder) and lib/compose.
  {
    // Adapters implement ports; they never reach up into the runtime, the composition roots or the CLI.
    files: ['lib/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            {
              group: ['**/runtime/**', '**/compose/**', '**/cli/**'],
              message: 'lib/adapters implements lib/ports: it may import lib/core and lib/ports only.',
            },
          ],
        },
      ],
    },
  },
  ...RUNTIME_FOLDERS.map(runtimeFolderRule),
  {
    // Composition roots: the only place that builds from real adapters; never imported by the runtime or adapters.
    files: ['lib/compose/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_TEST, { group: ['**/cli/**'], message: 'lib/compose never imports the CLI.' }] }],
    },
  },
  eslintConfigPrettier,
);
