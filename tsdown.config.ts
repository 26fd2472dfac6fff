import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsdown';

/**
 * The package build: ESM JavaScript, `.d.ts` and source maps in `dist/`, one entry per sub-path
 * export, the CLI (each command and the default pipeline, the word count, are chunks it imports when
 * needed) and the two Lambda entries the `StreamProcessor` construct bundles. One build, so every entry shares the same chunks: the `Stream` class a user's
 * pipeline gets from `sluice` is the one the CLI and the Lambda entries check against.
 * See docs/decisions/0010-a-package-people-install.md.
 */
export default defineConfig({
  entry: {
    index: 'lib/index.ts',
    lambda: 'lib/lambda.ts',
    producer: 'lib/producer.ts',
    testing: 'lib/testing.ts',
    sinks: 'lib/sinks.ts',
    cdk: 'cdk/index.ts',
    cli: 'lib/cli/main.ts',
    'functions/processor': 'functions/processor.ts',
    'functions/controller': 'functions/controller.ts',
  },
  outDir: 'dist',
  format: 'esm',
  // .js and .d.ts: the package is "type": "module".
  fixedExtension: false,
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  dts: { sourcemap: false },
  // The examples import `sluice` as a user does; inside the build that is the index entry itself.
  alias: { sluice: fileURLToPath(new URL('./lib/index.ts', import.meta.url)) },
  // The processor entry's pipeline is the user's module, aliased when the construct bundles it.
  deps: { neverBundle: ['sluice-pipeline'] },
  clean: true,
});
