import { defineConfig } from 'vitest/config';

// Two projects: `unit` (no servers, fakes allowed for ports) and `int` (real servers on loopback,
// started by scripts/test before vitest runs; a missing server fails the run, it is never skipped).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{libs,store,central,dags,scripts}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'int',
          include: ['{libs,store,central,dags,scripts}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // integration suites share real servers: run files one at a time on 2 cores
          fileParallelism: false,
        },
      },
    ],
  },
});
