// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
    // The core is pure: no SDK, no I/O, no clock, no environment, no randomness (ARCHITECTURE.md §2).
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
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/test/**'], message: 'lib never imports test/.' }] }],
    },
  },
);
