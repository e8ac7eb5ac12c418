/**
 * The runner's HTTP: liveness, readiness and run history for operators and central's dashboard.
 * GET /healthz, GET /readyz (503 until the warehouse is migrated and the scheduler runs),
 * GET /v1/dags/runs?job=&partition=&limit= (runs newest first, each with its task attempts),
 * GET /v1/dags/reconcile (the reconciliation report and its one-line summary).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RunHistory, TaskAttemptRecord } from './engine/stores.ts';
import { dagsErrors } from './errors.ts';
import { formatReconcileLine, type ReconcileReport } from './jobs/reconcile.ts';

export interface DagsHttpDeps {
  history: RunHistory;
  /** Job id → its number of tasks (a run with fewer finished tasks is incomplete). */
  jobTasks: Readonly<Record<string, number>>;
  isReady: () => boolean;
  /** Reconciliation over every known store (GET /v1/dags/reconcile). */
  reconcile: () => Promise<ReconcileReport>;
}

export interface RunSummary {
  run_id: string;
  job_id: string;
  partition: string;
  /** incomplete: some tasks have no final attempt yet (still running, or the runner died). */
  status: 'incomplete' | 'succeeded' | 'failed';
  started_at: string;
  finished_at: string;
  runner_id: string;
  tasks: TaskAttemptRecord[];
}

const runsQuery = z.object({
  job: z.string().min(1).optional(),
  partition: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(50),
});

export function buildDagsHttp(deps: DagsHttpDeps): FastifyInstance {
  const app = Fastify({ logger: false });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    if (deps.isReady()) return { status: 'ready' };
    return reply.code(503).send({ status: 'starting' });
  });

  app.get('/v1/dags/runs', async (request, reply) => {
    const parsed = runsQuery.safeParse(request.query);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), rule: issue.message }));
      const error = dagsErrors.create('RS_ERR_INVALID_REQUEST', 'invalid query string', { details: { issues } });
      return reply.code(error.httpStatus).send({ error: error.toJSON() });
    }
    const { job, partition, limit } = parsed.data;
    if (job !== undefined && !(job in deps.jobTasks)) {
      const error = dagsErrors.create('RS_ERR_UNKNOWN_JOB', `no job "${job}" (known: ${Object.keys(deps.jobTasks).join(', ')})`);
      return reply.code(error.httpStatus).send({ error: error.toJSON() });
    }
    // Enough attempts for `limit` runs of a many-task job; grouping trims to `limit` runs.
    const attempts = await deps.history.list({ jobId: job, partition, limit: limit * 50 });
    return { runs: summarizeRuns(attempts, deps.jobTasks).slice(0, limit) };
  });

  app.get('/v1/dags/reconcile', async () => {
    const report = await deps.reconcile();
    return { ...report, line: formatReconcileLine(report.totals) };
  });

  return app;
}

/** Groups task attempts (newest first) into runs, newest first. */
export function summarizeRuns(attempts: readonly TaskAttemptRecord[], jobTasks: Readonly<Record<string, number>>): RunSummary[] {
  const runs = new Map<string, RunSummary>();
  for (const attempt of attempts) {
    let run = runs.get(attempt.run_id);
    if (!run) {
      run = { run_id: attempt.run_id, job_id: attempt.job_id, partition: attempt.partition, status: 'succeeded', started_at: attempt.started_at, finished_at: attempt.finished_at, runner_id: attempt.runner_id, tasks: [] };
      runs.set(attempt.run_id, run);
    }
    run.tasks.push(attempt);
    if (attempt.started_at < run.started_at) run.started_at = attempt.started_at;
    if (attempt.finished_at > run.finished_at) run.finished_at = attempt.finished_at;
  }
  for (const run of runs.values()) {
    run.tasks.reverse();
    const finished = new Set(run.tasks.filter((task) => task.status !== 'retrying').map((task) => task.task));
    if (run.tasks.some((task) => task.status === 'failed')) run.status = 'failed';
    else if (finished.size < (jobTasks[run.job_id] ?? 0)) run.status = 'incomplete';
  }
  return [...runs.values()];
}
