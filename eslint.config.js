// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NO_TEST = { group: ['**/test/**'], message: 'lib never imports test/.' };

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
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'net', 'os', 'path', 'child_process', 'crypto', 'zlib'], message: 'lib/core is pure: inject I/O through lib/ports.' },
          { group: ['@aws-sdk/*', '@smithy/*', 'better-sqlite3', 'aws-cdk-lib', '@aws-lambda-powertools/*'], message: 'lib/core is pure: adapters live in lib/adapters.' },
          { group: ['**/adapters/**', '**/runtime/**', '**/cli/**', '**/test/**'], message: 'lib/core may import only lib/core and lib/ports.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'lib/core is pure: pass configuration in.' },
        { name: 'setTimeout', message: 'lib/core is pure: inject a Clock.' },
        { name: 'setInterval', message: 'lib/core is pure: inject a Clock.' },
        { name: 'fetch', message: 'lib/core is pure.' },
      ],
      'no-restricted-properties': ['error',
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
      'no-restricted-imports': ['error', { patterns: [{ group: ['@aws-sdk/*', 'better-sqlite3', '**/adapters/**', '**/runtime/**', '**/cli/**'], message: 'ports are interfaces only.' }] }],
    },
  },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/core/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_TEST] }],
    },
  },
  // regroup:runtime-boundaries:start — /work/tools/regroup-runtime.mjs replaces this region after the move.
  {
    // Adapters implement ports; they never reach up into the runtime or the CLI (docs/architecture.md §2).
    files: ['lib/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_TEST, { group: ['**/runtime/**', '**/cli/**'], message: 'lib/adapters implements lib/ports: it may import lib/core and lib/ports only.' }] }],
    },
  },
  {
    // The runtime (the protocol, failures, rate gates, drivers, controller) sees stores only through
    // lib/ports; only the composition roots build from real adapters (docs/architecture.md §2, §11).
    files: ['lib/runtime/**/*.ts'],
    // Composition roots (they build from real adapters), then three SDK adapters still in lib/runtime (§11 moves them).
    ignores: [
      'lib/runtime/open-local-app.ts',
      'lib/runtime/print-slow-call.ts',
      'lib/runtime/lambda/create-processor-handler.ts',
      'lib/runtime/controller/create-lambda-controller-handler.ts',
      'lib/runtime/local-esm/local-aws-app.ts',
      'lib/runtime/local-esm/local-aws-processor.ts',
      'lib/runtime/producer/producer.ts',
      'lib/runtime/testing/in-memory-run.ts',
      'lib/runtime/controller/lambda-event-source-mappings.ts',
      'lib/runtime/controller/lambda-idle-ticker.ts',
      'lib/runtime/lambda/logger-output-sink.ts',
    ],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          NO_TEST,
          { group: ['**/adapters/**'], message: 'lib/runtime uses lib/ports; only a composition root imports lib/adapters.' },
          { group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'], message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.' },
          { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
        ],
      }],
    },
  },
  // regroup:runtime-boundaries:end
);
