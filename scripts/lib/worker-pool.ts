/**
 * Worker processes of a production-profile run: each is `central/src/bin.ts` with RS_CENTRAL_ROLES=worker
 * (plus the admin API, for its /metrics), sharing one BullMQ queue, so more of them drain it faster.
 * The pool counts the jobs its workers finished from their own counters
 * (retail_sync_worker_jobs_total, outcome stored or dead_lettered): the drain rate, measured where it
 * happens rather than inferred from the queue.
 */
import { join } from 'node:path';
import { spawnCentral, type CentralProcess } from './stack.ts';

export interface WorkerPoolOptions {
  dataDir: string;
  /** RS_* keys every worker gets (profile, isolation names). */
  env: NodeJS.ProcessEnv;
}

/** Outcomes that finish a job; `error` is an attempt the queue retries, counted when it finally ends. */
const FINISHED_OUTCOMES = new Set(['stored', 'dead_lettered']);
const JOBS_TOTAL = /^retail_sync_worker_jobs_total\{outcome="([a-z_]+)"\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$/gm;

export class WorkerPool {
  private readonly workers: CentralProcess[] = [];

  constructor(private readonly options: WorkerPoolOptions) {}

  get size(): number {
    return this.workers.length;
  }

  /** Starts one more worker process and resolves once its admin API answers. */
  async add(): Promise<CentralProcess> {
    const number = this.workers.length + 1;
    const worker = await spawnCentral({
      dataDir: this.options.dataDir,
      logFile: join(this.options.dataDir, 'logs', `worker-${number}.log`),
      env: { ...this.options.env, RS_CENTRAL_ROLES: 'worker' },
    });
    this.workers.push(worker);
    return worker;
  }

  /** Jobs each worker finished so far, in start order; undefined when a worker's /metrics did not answer. */
  async jobsFinished(): Promise<number[] | undefined> {
    const counts = await Promise.all(this.workers.map((worker) => finishedJobs(worker.adminUrl)));
    return counts.some((count) => count === undefined) ? undefined : (counts as number[]);
  }

  /** SIGTERM to every worker: each finishes its running jobs, then exits. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop('SIGTERM')));
  }
}

async function finishedJobs(adminUrl: string): Promise<number | undefined> {
  const text = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
    .then((response) => (response.ok ? response.text() : undefined))
    .catch(() => undefined);
  return text === undefined ? undefined : parseFinishedJobs(text);
}

/** Sums retail_sync_worker_jobs_total over the outcomes that finish a job, from Prometheus text. */
export function parseFinishedJobs(metricsText: string): number {
  let total = 0;
  for (const [, outcome, value] of metricsText.matchAll(JOBS_TOTAL)) {
    if (FINISHED_OUTCOMES.has(outcome!)) total += Number(value);
  }
  return total;
}
