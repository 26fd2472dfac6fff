import { defineConfig } from 'vitest/config';

/** `sluice` as the examples and test fixtures import it: the TypeScript source, as in tsconfig.json. */
const SOURCE_CONDITION = 'sluice-source';

export default defineConfig({
  // `sluice-pipeline` (the pipeline a function bundles) resolves through tsconfig.json's paths.
  resolve: { tsconfigPaths: true, conditions: [SOURCE_CONDITION] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two forks even on two cores (vitest's default is cores - 1): most tests wait on moto, child
    // processes and sleeps, so two files at once take the suite from ~9.5 to ~6 minutes here.
    maxWorkers: 2,
    // The SDK's notice that its 2027 releases need Node 22 is noise in every test log.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
