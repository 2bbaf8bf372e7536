import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    coverage: {
      provider: 'v8',
      include: ['core/**/*.ts', 'fargate/**/*.ts', 'handlers/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: {
        'core/**/*.ts': { lines: 90 },
      },
    },
  },
});
