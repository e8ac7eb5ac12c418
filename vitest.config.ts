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
          // A hang guard, not a speed check: the scripts/ tests spawn tsx processes, and on a fresh machine
          // (empty tsx cache) each compiles its sources on first start, which alone took 23 s for npm start.
          testTimeout: 120_000,
          hookTimeout: 120_000,
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
