// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import eslintConfigPrettier from 'eslint-config-prettier/flat';

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
  // regroup:runtime-boundaries:start (written by regroup-runtime.mjs from regroup-map.json)
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
  {
    // lib/runtime/protocol/ may import lib/core, lib/ports, runtime/failures (docs/architecture.md §2).
    files: ['lib/runtime/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../rate-gates/*',
                '../../rate-gates/*',
                '../rate-gates',
                '../../rate-gates',
                '../local-driver/*',
                '../../local-driver/*',
                '../local-driver',
                '../../local-driver',
                '../tools/*',
                '../../tools/*',
                '../tools',
                '../../tools',
                '../controller/*',
                '../../controller/*',
                '../controller',
                '../../controller',
                '../lambda/*',
                '../../lambda/*',
                '../lambda',
                '../../lambda',
                '../local-esm/*',
                '../../local-esm/*',
                '../local-esm',
                '../../local-esm',
                '../producer/*',
                '../../producer/*',
                '../producer',
                '../../producer',
              ],
              message:
                'lib/runtime/protocol may not import runtime/rate-gates, runtime/local-driver, runtime/tools, runtime/controller, runtime/lambda, runtime/local-esm, runtime/producer (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // lib/runtime/failures/ may import lib/core, lib/ports, runtime/protocol (docs/architecture.md §2).
    files: ['lib/runtime/failures/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../rate-gates/*',
                '../../rate-gates/*',
                '../rate-gates',
                '../../rate-gates',
                '../local-driver/*',
                '../../local-driver/*',
                '../local-driver',
                '../../local-driver',
                '../tools/*',
                '../../tools/*',
                '../tools',
                '../../tools',
                '../controller/*',
                '../../controller/*',
                '../controller',
                '../../controller',
                '../lambda/*',
                '../../lambda/*',
                '../lambda',
                '../../lambda',
                '../local-esm/*',
                '../../local-esm/*',
                '../local-esm',
                '../../local-esm',
                '../producer/*',
                '../../producer/*',
                '../producer',
                '../../producer',
              ],
              message:
                'lib/runtime/failures may not import runtime/rate-gates, runtime/local-driver, runtime/tools, runtime/controller, runtime/lambda, runtime/local-esm, runtime/producer (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // lib/runtime/rate-gates/ may import lib/core, lib/ports, runtime/protocol (docs/architecture.md §2).
    files: ['lib/runtime/rate-gates/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../failures/*',
                '../../failures/*',
                '../failures',
                '../../failures',
                '../local-driver/*',
                '../../local-driver/*',
                '../local-driver',
                '../../local-driver',
                '../tools/*',
                '../../tools/*',
                '../tools',
                '../../tools',
                '../controller/*',
                '../../controller/*',
                '../controller',
                '../../controller',
                '../lambda/*',
                '../../lambda/*',
                '../lambda',
                '../../lambda',
                '../local-esm/*',
                '../../local-esm/*',
                '../local-esm',
                '../../local-esm',
                '../producer/*',
                '../../producer/*',
                '../producer',
                '../../producer',
              ],
              message:
                'lib/runtime/rate-gates may not import runtime/failures, runtime/local-driver, runtime/tools, runtime/controller, runtime/lambda, runtime/local-esm, runtime/producer (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // lib/runtime/local-driver/ may import lib/core, lib/ports, runtime/protocol, runtime/failures (docs/architecture.md §2).
    files: ['lib/runtime/local-driver/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../rate-gates/*',
                '../../rate-gates/*',
                '../rate-gates',
                '../../rate-gates',
                '../tools/*',
                '../../tools/*',
                '../tools',
                '../../tools',
                '../controller/*',
                '../../controller/*',
                '../controller',
                '../../controller',
                '../lambda/*',
                '../../lambda/*',
                '../lambda',
                '../../lambda',
                '../local-esm/*',
                '../../local-esm/*',
                '../local-esm',
                '../../local-esm',
                '../producer/*',
                '../../producer/*',
                '../producer',
                '../../producer',
              ],
              message:
                'lib/runtime/local-driver may not import runtime/rate-gates, runtime/tools, runtime/controller, runtime/lambda, runtime/local-esm, runtime/producer (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // lib/runtime/tools/ may import lib/core, lib/ports, runtime/protocol, runtime/failures, runtime/rate-gates, runtime/local-driver (docs/architecture.md §2).
    files: ['lib/runtime/tools/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../controller/*',
                '../../controller/*',
                '../controller',
                '../../controller',
                '../lambda/*',
                '../../lambda/*',
                '../lambda',
                '../../lambda',
                '../local-esm/*',
                '../../local-esm/*',
                '../local-esm',
                '../../local-esm',
                '../producer/*',
                '../../producer/*',
                '../producer',
                '../../producer',
              ],
              message: 'lib/runtime/tools may not import runtime/controller, runtime/lambda, runtime/local-esm, runtime/producer (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // lib/runtime/controller/ may import lib/core, lib/ports, runtime/protocol, runtime/lambda, runtime/local-driver (docs/architecture.md §2).
    files: ['lib/runtime/controller/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../failures/*',
                '../../failures/*',
                '../failures',
                '../../failures',
                '../rate-gates/*',
                '../../rate-gates/*',
                '../rate-gates',
                '../../rate-gates',
                '../tools/*',
                '../../tools/*',
                '../tools',
                '../../tools',
                '../local-esm/*',
                '../../local-esm/*',
                '../local-esm',
                '../../local-esm',
                '../producer/*',
                '../../producer/*',
                '../producer',
                '../../producer',
              ],
              message:
                'lib/runtime/controller may not import runtime/failures, runtime/rate-gates, runtime/tools, runtime/local-esm, runtime/producer (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // lib/runtime/lambda/ may import lib/core, lib/ports, runtime/protocol, runtime/failures, runtime/rate-gates, runtime/controller (docs/architecture.md §2).
    files: ['lib/runtime/lambda/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../local-driver/*',
                '../../local-driver/*',
                '../local-driver',
                '../../local-driver',
                '../tools/*',
                '../../tools/*',
                '../tools',
                '../../tools',
                '../local-esm/*',
                '../../local-esm/*',
                '../local-esm',
                '../../local-esm',
                '../producer/*',
                '../../producer/*',
                '../producer',
                '../../producer',
              ],
              message: 'lib/runtime/lambda may not import runtime/local-driver, runtime/tools, runtime/local-esm, runtime/producer (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // lib/runtime/local-esm/ may import lib/core, lib/ports, runtime/protocol, runtime/lambda, runtime/local-driver, runtime/failures (docs/architecture.md §2).
    files: ['lib/runtime/local-esm/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../rate-gates/*',
                '../../rate-gates/*',
                '../rate-gates',
                '../../rate-gates',
                '../tools/*',
                '../../tools/*',
                '../tools',
                '../../tools',
                '../controller/*',
                '../../controller/*',
                '../controller',
                '../../controller',
                '../producer/*',
                '../../producer/*',
                '../producer',
                '../../producer',
              ],
              message:
                'lib/runtime/local-esm may not import runtime/rate-gates, runtime/tools, runtime/controller, runtime/producer (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // lib/runtime/producer/ may import lib/core, lib/ports, runtime/protocol, runtime/controller (docs/architecture.md §2).
    files: ['lib/runtime/producer/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_TEST,
            { group: ['**/adapters/**', '**/compose/**'], message: 'lib/runtime uses lib/ports; only lib/compose builds from adapters.' },
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*', 'better-sqlite3', 'node:sqlite'],
              message: 'lib/runtime is SDK-free: put the call in an adapter behind a port.',
            },
            { group: ['**/cli/**'], message: 'lib/runtime never imports the CLI.' },
            {
              group: [
                '../failures/*',
                '../../failures/*',
                '../failures',
                '../../failures',
                '../rate-gates/*',
                '../../rate-gates/*',
                '../rate-gates',
                '../../rate-gates',
                '../local-driver/*',
                '../../local-driver/*',
                '../local-driver',
                '../../local-driver',
                '../tools/*',
                '../../tools/*',
                '../tools',
                '../../tools',
                '../lambda/*',
                '../../lambda/*',
                '../lambda',
                '../../lambda',
                '../local-esm/*',
                '../../local-esm/*',
                '../local-esm',
                '../../local-esm',
              ],
              message:
                'lib/runtime/producer may not import runtime/failures, runtime/rate-gates, runtime/local-driver, runtime/tools, runtime/lambda, runtime/local-esm (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // Composition roots: the only place that builds from real adapters; never imported by the runtime or adapters.
    files: ['lib/compose/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_TEST, { group: ['**/cli/**'], message: 'lib/compose never imports the CLI.' }] }],
    },
  },
  // regroup:runtime-boundaries:end
  eslintConfigPrettier,
);
