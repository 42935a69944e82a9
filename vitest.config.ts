import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // Each worker keeps its modules from one test file to the next: importing src/ again for every
    // file cost 189 s of the suite's 781 s of test-file time (2026-12-07). So a test file must not
    // rely on a module's state being fresh: it sets what it uses (util/paths.ts's allowed paths, a
    // wall budget) and puts back what it mocks or stubs.
    isolate: false,
  },
});
