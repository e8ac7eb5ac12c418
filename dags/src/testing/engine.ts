/** A silent logger and a runner wired to a warehouse's engine stores, for engine and job tests. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@retail-sync/libs/log';
import { JobRunner, type RunnerOptions } from '../engine/runner.ts';

export function silentLogger(): Logger {
  return createLogger({ service: 'dags-test', level: 'silent', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
}

export function testRunner<Resources>(options: Partial<RunnerOptions<Resources>> & Pick<RunnerOptions<Resources>, 'resources' | 'stores'>): JobRunner<Resources> {
  return new JobRunner<Resources>({
    runnerId: 'test-runner',
    logger: silentLogger(),
    taskAttempts: 3,
    retryBackoffMs: 1,
    leaseTtlMs: 60_000,
    ...options,
  });
}
