import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `sluice-pipeline` (the pipeline a function bundles) resolves through tsconfig.json's paths.
  resolve: { tsconfigPaths: true },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
