/**
 * The runner's HTTP, for operators, the CLI and central's dashboard:
 *   GET  /healthz, /readyz (503 until the scheduler runs, and whenever the warehouse does not answer), /metrics
 *   GET  /v1/dags/runs?job=&partition=&limit=     runs newest first, each with its task attempts
 *   POST /v1/dags/backfill {job, from, to, concurrency?}  202 + progress (backfill_id) — runs in the background
 *   GET  /v1/dags/backfill/:id                    progress: done/total, succeeded, failed, skipped, failures
 *   POST /v1/dags/backfill/:id/cancel             no further partition starts
 *   GET  /v1/dags/reconcile                       whole-log reconciliation (the demo's one-line summary)
 *   GET  /v1/dags/reconcile?date=YYYY-MM-DD       the stored per-store results of that business day
 *   POST /v1/dags/reconcile {date}                runs reconcile_daily for the day now, then answers as GET
 * Errors answer {error: {code, message, retriable, details?}} with the code's HTTP status.
 */
import { probeDependencies, requireAdminToken } from '@retail-sync/libs/runtime';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { BackfillProgress } from './engine/backfill.ts';
import type { RunHistory, TaskAttemptRecord } from './engine/stores.ts';
import { dagsErrors } from './errors.ts';
import { formatReconcileLine, type ReconcileReport } from './jobs/reconcile.ts';
import { formatReconcileDayLine, formatReconcileStoreLine, summarizeReconcileDay } from './jobs/reconcile_daily.ts';
import type { ReconcileResultRow } from './warehouse/dag-warehouse.ts';

export interface DagsHttpDeps {
  history: RunHistory;
  /** RS_ADMIN_TOKEN: when set, every route but /healthz, /readyz and /metrics requires it. */
  adminToken?: string;
  /** Job id → its number of tasks (a run with fewer finished tasks is incomplete). */
  jobTasks: Readonly<Record<string, number>>;
  /** True once the scheduler runs, false again while closing. */
  isReady: () => boolean;
  /** Asked on every GET /readyz, by name (warehouse: a trivial query): readiness is never a flag set at start. */
  readinessChecks?: Readonly<Record<string, () => Promise<unknown>>>;
  /** How long /readyz waits for each check. @default 2000 */
  readinessTimeoutMs?: number;
  /** Reconciliation over every known store (GET /v1/dags/reconcile). */
  reconcile: () => Promise<ReconcileReport>;
  backfills: {
    start(jobId: string, from: string, to: string, concurrency?: number): BackfillProgress;
    get(id: string): BackfillProgress | undefined;
    cancel(id: string): BackfillProgress | undefined;
  };
  reconcileDay: {
    /** The stored results of a day. */
    stored(date: string): Promise<ReconcileResultRow[]>;
    /** Runs reconcile_daily for the day; resolves with how that run went. */
    run(date: string): Promise<BackfillProgress>;
  };
  metrics: Registry;
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
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a YYYY-MM-DD business date' });
const backfillBody = z.object({ job: z.string().min(1), from: date, to: date, concurrency: z.number().int().min(1).max(8).default(1) });
const reconcileQuery = z.object({ date: date.optional() });
const reconcileBody = z.object({ date });

function invalid(reply: FastifyReply, error: z.ZodError): FastifyReply {
  const issues = error.issues.map((issue) => ({ field: issue.path.join('.'), rule: issue.message }));
  const failure = dagsErrors.create('RS_ERR_INVALID_REQUEST', 'invalid request', { details: { issues } });
  return reply.code(failure.httpStatus).send({ error: failure.toJSON() });
}

export function buildDagsHttp(deps: DagsHttpDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  requireAdminToken(app, deps.adminToken, 'retail-sync DAG runner');

  app.setErrorHandler((error, _request, reply) => {
    const coded = error as { code?: unknown; httpStatus?: unknown; toJSON?: () => unknown };
    if (typeof coded.code === 'string' && coded.code.startsWith('RS_ERR_') && typeof coded.httpStatus === 'number' && coded.toJSON) {
      return reply.code(coded.httpStatus).send({ error: coded.toJSON() });
    }
    // Uncoded: a bug or a driver error no adapter wrapped; no code is invented for it.
    return reply.code(500).send({ error: { message: error instanceof Error ? error.message : String(error), retriable: true } });
  });

  // pid: a supervisor that spawned this process can tell it answered, not another process on a reused port.
  app.get('/healthz', async () => ({ status: 'ok', pid: process.pid }));

  app.get('/readyz', async (_request, reply) => {
    if (!deps.isReady()) return reply.code(503).send({ status: 'starting' });
    const { ready, checks } = await probeDependencies(deps.readinessChecks ?? {}, deps.readinessTimeoutMs ?? 2_000);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
  });

  app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()));

  app.get('/v1/dags/runs', async (request, reply) => {
    const parsed = runsQuery.safeParse(request.query);
    if (!parsed.success) return invalid(reply, parsed.error);
    const { job, partition, limit } = parsed.data;
    if (job !== undefined && !(job in deps.jobTasks)) {
      const error = dagsErrors.create('RS_ERR_UNKNOWN_JOB', `no job "${job}" (known: ${Object.keys(deps.jobTasks).join(', ')})`);
      return reply.code(error.httpStatus).send({ error: error.toJSON() });
    }
    // Enough attempts for `limit` runs of a many-task job; grouping trims to `limit` runs.
    const attempts = await deps.history.list({ jobId: job, partition, limit: limit * 50 });
    return { runs: summarizeRuns(attempts, deps.jobTasks).slice(0, limit) };
  });

  app.post('/v1/dags/backfill', async (request, reply) => {
    const parsed = backfillBody.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    const { job, from, to, concurrency } = parsed.data;
    return reply.code(202).send({ backfill: deps.backfills.start(job, from, to, concurrency) });
  });

  app.get<{ Params: { id: string } }>('/v1/dags/backfill/:id', async (request, reply) => {
    const backfill = deps.backfills.get(request.params.id);
    if (backfill) return { backfill };
    const error = dagsErrors.create('RS_ERR_UNKNOWN_BACKFILL', `no backfill ${request.params.id} in this runner`);
    return reply.code(error.httpStatus).send({ error: error.toJSON() });
  });

  app.post<{ Params: { id: string } }>('/v1/dags/backfill/:id/cancel', async (request, reply) => {
    const backfill = deps.backfills.cancel(request.params.id);
    if (backfill) return { backfill };
    const error = dagsErrors.create('RS_ERR_UNKNOWN_BACKFILL', `no backfill ${request.params.id} in this runner`);
    return reply.code(error.httpStatus).send({ error: error.toJSON() });
  });

  app.get('/v1/dags/reconcile', async (request, reply) => {
    const parsed = reconcileQuery.safeParse(request.query);
    if (!parsed.success) return invalid(reply, parsed.error);
    if (parsed.data.date === undefined) {
      const report = await deps.reconcile();
      return { ...report, line: formatReconcileLine(report.totals) };
    }
    return reconcileDayBody(parsed.data.date, await deps.reconcileDay.stored(parsed.data.date));
  });

  app.post('/v1/dags/reconcile', async (request, reply) => {
    const parsed = reconcileBody.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    const run = await deps.reconcileDay.run(parsed.data.date);
    if (run.status !== 'succeeded') {
      const error = dagsErrors.create('RS_ERR_TASK_FAILED', `reconcile_daily ${parsed.data.date}: ${run.failures[0]?.error ?? `run ${run.status} (partition leased elsewhere)`}`);
      return reply.code(error.httpStatus).send({ error: error.toJSON() });
    }
    return reconcileDayBody(parsed.data.date, await deps.reconcileDay.stored(parsed.data.date));
  });

  return app;
}

/** The day's rows, one text line per store and the closing `reconcile-day:` line. */
function reconcileDayBody(day: string, rows: ReconcileResultRow[]) {
  const summary = summarizeReconcileDay(day, rows);
  return { date: day, summary, stores: rows, lines: rows.map(formatReconcileStoreLine), line: formatReconcileDayLine(summary) };
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
