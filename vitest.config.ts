import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration tests own network namespaces and servers; run files one at a time on a 2-core box.
    fileParallelism: false,
    // Removes the shared private builds of src/ (test/helpers/private-build.ts) after the run.
    globalSetup: ['test/global-setup.ts'],
  },
});
