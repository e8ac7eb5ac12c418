/**
 * The runner: runs one job partition. It takes the partition's lease (or leaves the partition to the
 * runner holding it), runs the tasks in dependency order, retries a failing task with exponential
 * backoff, and records every attempt in run history. Invariants: a task runs only after all its
 * dependencies succeeded in this run; a task that exhausts its attempts fails the run and its dependants
 * are recorded as skipped (independent tasks still run); the lease is held for the whole run and released
 * at the end, so two runners never work on one (job, partition) at once.
 */
import { errorCode } from '@retail-sync/libs/errors';
import { newEventId } from '@retail-sync/libs/domain';
import type { Logger } from '@retail-sync/libs/log';
import { dagsErrors } from '../errors.ts';
import type { Job } from './job.ts';
import { assertBusinessDate } from './partitions.ts';
import type { EngineStores, TaskStatus } from './stores.ts';

export interface RunnerOptions<Resources> {
  runnerId: string;
  resources: Resources;
  stores: EngineStores;
  logger: Logger;
  /** Attempts per task (1 = no retry). */
  taskAttempts: number;
  /** Delay before the 2nd attempt; doubled for each further one, capped at maxBackoffMs. */
  retryBackoffMs: number;
  maxBackoffMs?: number;
  leaseTtlMs: number;
  clock?: () => Date;
  /** Told about every finished partition run and how long it took (metrics). */
  onPartitionRun?: (run: PartitionRun, durationSeconds: number) => void;
}

export interface TaskOutcome {
  task: string;
  status: Exclude<TaskStatus, 'retrying'>;
  attempts: number;
  rows: number | null;
  error: string | null;
}

export interface PartitionRun {
  run_id: string;
  job_id: string;
  partition: string;
  /** skipped: another runner holds the partition's lease (RS_ERR_LEASE_HELD); nothing ran. */
  status: 'succeeded' | 'failed' | 'skipped';
  tasks: TaskOutcome[];
  error: string | null;
}

/**
 * Whether a failed attempt is worth another: errors that carry `retriable: false` (bad data, bad SQL, an
 * unknown rollup — see errors.ts) fail at once; anything else (I/O, timeouts, plain Errors) is retried.
 */
export function shouldRetryTask(error: unknown): { retry: true } | { retry: false; reason: string } {
  const retriable = typeof error === 'object' && error !== null ? (error as { retriable?: unknown }).retriable : undefined;
  if (retriable === false) return { retry: false, reason: `${errorCode(error) ?? 'error'} is not retriable` };
  return { retry: true };
}

export class JobRunner<Resources> {
  private readonly clock: () => Date;

  constructor(private readonly options: RunnerOptions<Resources>) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Runs each partition once, one after another. */
  async runPartitions(job: Job<Resources>, partitions: readonly string[]): Promise<PartitionRun[]> {
    const runs: PartitionRun[] = [];
    for (const partition of partitions) runs.push(await this.runPartition(job, partition));
    return runs;
  }

  async runPartition(job: Job<Resources>, partition: string): Promise<PartitionRun> {
    const startedAt = performance.now();
    const run = await this.runLeasedPartition(job, partition);
    this.options.onPartitionRun?.(run, (performance.now() - startedAt) / 1000);
    return run;
  }

  private async runLeasedPartition(job: Job<Resources>, partition: string): Promise<PartitionRun> {
    assertBusinessDate(partition);
    const { stores, runnerId, leaseTtlMs } = this.options;
    const runId = newEventId();
    // The lease belongs to this run, not just this runner: two calls of one runner exclude each other too.
    const leaseOwner = `${runnerId}/${runId}`;
    const logger = this.options.logger.child({ job_id: job.id, partition, run_id: runId });
    if (!(await stores.leases.acquire(job.id, partition, leaseOwner, leaseTtlMs, this.clock()))) {
      const error = dagsErrors.create('RS_ERR_LEASE_HELD', `${job.id} ${partition} is leased to another runner`);
      logger.info({ code: error.code }, 'partition leased elsewhere; skipped');
      return { run_id: runId, job_id: job.id, partition, status: 'skipped', tasks: [], error: error.message };
    }
    const lease = this.keepLease(job.id, partition, leaseOwner, logger);
    try {
      const tasks = await this.runTasks(job, partition, runId, logger, lease);
      const failed = tasks.find((task) => task.status === 'failed');
      const status = failed ? 'failed' : 'succeeded';
      logger[failed ? 'warn' : 'info']({ status, tasks: tasks.map((t) => `${t.task}:${t.status}`) }, 'partition run finished');
      return { run_id: runId, job_id: job.id, partition, status, tasks, error: failed?.error ?? null };
    } finally {
      lease.stop();
      await stores.leases.release(job.id, partition, leaseOwner).catch((error: unknown) => logger.warn({ err: error }, 'lease release failed; it will expire'));
    }
  }

  private async runTasks(job: Job<Resources>, partition: string, runId: string, logger: Logger, lease: LeaseKeeper): Promise<TaskOutcome[]> {
    const outcomes = new Map<string, TaskOutcome>();
    for (const task of job.order) {
      const blockedBy = (job.tasks[task]!.deps ?? []).find((dep) => outcomes.get(dep)?.status !== 'succeeded');
      const lost = lease.lostError();
      if (blockedBy !== undefined || lost) {
        const error = lost ? lost.message : `upstream task ${blockedBy} did not succeed`;
        const at = this.clock().toISOString();
        await this.record({ runId, job, partition, task, status: lost ? 'failed' : 'skipped', attempt: 0, startedAt: at, rows: null, error });
        outcomes.set(task, { task, status: lost ? 'failed' : 'skipped', attempts: 0, rows: null, error });
        continue;
      }
      outcomes.set(task, await this.runTask(job, task, partition, runId, logger));
    }
    return [...outcomes.values()];
  }

  private async runTask(job: Job<Resources>, task: string, partition: string, runId: string, logger: Logger): Promise<TaskOutcome> {
    const { taskAttempts, retryBackoffMs, resources } = this.options;
    const taskLogger = logger.child({ task });
    for (let attempt = 1; ; attempt += 1) {
      const startedAt = this.clock().toISOString();
      try {
        const rows = await job.tasks[task]!.run({ jobId: job.id, task, partition, runId, attempt, resources, logger: taskLogger });
        await this.record({ runId, job, partition, task, status: 'succeeded', attempt, startedAt, rows, error: null });
        taskLogger.debug({ attempt, rows }, 'task succeeded');
        return { task, status: 'succeeded', attempts: attempt, rows, error: null };
      } catch (error) {
        const message = describe(error);
        const decision = shouldRetryTask(error);
        const final = attempt >= taskAttempts || !decision.retry;
        await this.record({ runId, job, partition, task, status: final ? 'failed' : 'retrying', attempt, startedAt, rows: null, error: message });
        if (final) {
          const failure = dagsErrors.create('RS_ERR_TASK_FAILED', `${job.id}.${task} ${partition} failed after ${attempt} attempt(s): ${message}`, { cause: error });
          taskLogger.warn({ code: failure.code, attempt, err: error }, 'task failed; dependants skipped');
          return { task, status: 'failed', attempts: attempt, rows: null, error: describe(failure) };
        }
        const delayMs = Math.min(retryBackoffMs * 2 ** (attempt - 1), this.options.maxBackoffMs ?? 60_000);
        taskLogger.debug({ attempt, delayMs, error: message }, 'task attempt failed; retrying');
        await sleep(delayMs);
      }
    }
  }

  private async record(entry: { runId: string; job: Job<Resources>; partition: string; task: string; status: TaskStatus; attempt: number; startedAt: string; rows: number | null; error: string | null }): Promise<void> {
    await this.options.stores.history.record({
      run_id: entry.runId,
      job_id: entry.job.id,
      partition: entry.partition,
      task: entry.task,
      status: entry.status,
      attempt: entry.attempt,
      started_at: entry.startedAt,
      finished_at: this.clock().toISOString(),
      rows: entry.rows,
      error: entry.error,
      runner_id: this.options.runnerId,
    });
  }

  /** Renews the lease every third of its TTL while the run lasts; remembers if it was lost. */
  private keepLease(jobId: string, partition: string, owner: string, logger: Logger): LeaseKeeper {
    const { stores, leaseTtlMs } = this.options;
    let lost: Error | undefined;
    const timer = setInterval(() => {
      stores.leases
        .renew(jobId, partition, owner, leaseTtlMs, this.clock())
        .then((held) => {
          if (!held && !lost) {
            lost = dagsErrors.create('RS_ERR_LEASE_LOST', `${jobId} ${partition}: lease lost mid-run`);
            logger.warn({ code: 'RS_ERR_LEASE_LOST' }, 'lease lost; stopping before the next task');
          }
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'lease renewal failed; will retry'));
    }, Math.max(10, Math.floor(leaseTtlMs / 3)));
    timer.unref();
    return { stop: () => clearInterval(timer), lostError: () => lost };
  }
}

interface LeaseKeeper {
  stop(): void;
  lostError(): Error | undefined;
}

function describe(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
