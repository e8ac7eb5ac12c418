/**
 * `retail-sync dag …`: the DAG runner's backfills and run history, over its HTTP API (--dags-url).
 *   dag backfill <job> --from D --to D [--concurrency N]   progress bar on stderr, summary line on stdout;
 *                                                           Ctrl-C cancels (no new partition starts) and waits
 *   dag runs [--job J] [--partition D] [--limit N]         run history as a table, newest first
 * Exit 1 when a backfilled partition failed or was left leased elsewhere (or the backfill was cancelled).
 */
import { type Command } from 'commander';
// GET /v1/dags/backfill/:id answers the runner's own BackfillProgress
import type { BackfillProgress } from '@retail-sync/dags';
import { CliError, EXIT } from '../cli-error.ts';
import { requestJson } from '../http.ts';
import { createProgress } from '../progress.ts';

interface TaskAttempt {
  task: string;
  status: string;
  attempt: number;
  rows: number | null;
  error: string | null;
}

/** GET /v1/dags/runs — mirrors dags/src/http.ts RunSummary. */
export interface RunSummary {
  run_id: string;
  job_id: string;
  partition: string;
  status: string;
  started_at: string;
  finished_at: string;
  runner_id: string;
  tasks: TaskAttempt[];
}

interface GlobalOptions {
  dagsUrl: string;
  json: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const POLL_MS = 500;

export function businessDate(value: string): string {
  if (!DATE.test(value)) throw new CliError(`"${value}" is not a YYYY-MM-DD business date`, EXIT.USAGE);
  return value;
}

function positiveInt(max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) throw new CliError(`"${value}" must be an integer in 1..${max}`, EXIT.USAGE);
    return parsed;
  };
}

export function registerDag(program: Command): void {
  const dag = program.command('dag').description('DAG runner: backfill a job over a date range, list run history');

  dag
    .command('backfill')
    .description('run every business date of [--from, --to] of one job once (each task replaces its partition)')
    .argument('<job>', 'job id, e.g. sales_rollups or reconcile_daily')
    .requiredOption('--from <date>', 'first business date, YYYY-MM-DD', businessDate)
    .requiredOption('--to <date>', 'last business date, YYYY-MM-DD', businessDate)
    .option('--concurrency <n>', 'partitions run at once (1..8)', positiveInt(8), 1)
    .action(async (job: string, options: { from: string; to: string; concurrency: number }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const final = await runBackfill(globals.dagsUrl, job, options, !globals.json);
      if (globals.json) console.log(JSON.stringify(final, null, 2));
      else {
        for (const failure of final.failures) console.error(`failed ${failure.partition}: ${failure.error}`);
        console.log(formatBackfillSummary(final));
      }
      if (final.status !== 'succeeded') process.exitCode = EXIT.PROBLEM;
    });

  dag
    .command('runs')
    .description('list run history, newest first: who ran which partition when, status, duration, rows, error')
    .option('--job <id>', 'only this job')
    .option('--partition <date>', 'only this business date', businessDate)
    .option('--limit <n>', 'runs to show (1..1000)', positiveInt(1_000), 20)
    .action(async (options: { job?: string; partition?: string; limit: number }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const query = new URLSearchParams({ limit: String(options.limit) });
      if (options.job) query.set('job', options.job);
      if (options.partition) query.set('partition', options.partition);
      const { runs } = await requestJson<{ runs: RunSummary[] }>(`${globals.dagsUrl}/v1/dags/runs?${query}`);
      console.log(globals.json ? JSON.stringify(runs, null, 2) : formatRunsTable(runs));
    });
}

/** Starts the backfill and polls it to the end, drawing a progress bar on stderr when `showProgress`. */
async function runBackfill(dagsUrl: string, job: string, options: { from: string; to: string; concurrency: number }, showProgress: boolean): Promise<BackfillProgress> {
  if (options.from > options.to) throw new CliError(`--from ${options.from} is after --to ${options.to}`, EXIT.USAGE);
  const { backfill } = await requestJson<{ backfill: BackfillProgress }>(`${dagsUrl}/v1/dags/backfill`, {
    method: 'POST',
    body: { job, from: options.from, to: options.to, concurrency: options.concurrency },
  });
  const bar = showProgress
    ? createProgress<{ failed: number; running: string }>({
        barFormat: `${job} [{bar}] {value}/{total} partitions | failed {failed} | {running}`,
        plainLine: (done, total, { failed, running }) => `backfill: ${job} ${done}/${total} partitions failed=${failed}${running ? ` running=${running}` : ''}`,
      })
    : undefined;
  bar?.start(backfill.total, { failed: 0, running: '' });
  // Ctrl-C cancels on the runner (no new partition starts) and we wait for the running ones to end.
  const onInterrupt = () => {
    console.error('\ncancelling: no new partition starts; waiting for the running ones…');
    void requestJson(`${dagsUrl}/v1/dags/backfill/${backfill.backfill_id}/cancel`, { method: 'POST' }).catch(() => undefined);
  };
  process.once('SIGINT', onInterrupt);
  try {
    let progress = backfill;
    while (progress.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      progress = (await requestJson<{ backfill: BackfillProgress }>(`${dagsUrl}/v1/dags/backfill/${backfill.backfill_id}`)).backfill;
      bar?.update(progress.done, { failed: progress.failed, running: progress.running.join(' ') });
    }
    return progress;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    bar?.stop();
  }
}

/** `backfill: job=J from=D to=D partitions=N succeeded=S failed=F skipped=K rows=R duration_s=T status=X`. */
export function formatBackfillSummary(progress: BackfillProgress): string {
  const seconds = ((Date.parse(progress.finished_at ?? new Date().toISOString()) - Date.parse(progress.started_at)) / 1000).toFixed(1);
  return (
    `backfill: job=${progress.job_id} from=${progress.from} to=${progress.to} partitions=${progress.total} ` +
    `succeeded=${progress.succeeded} failed=${progress.failed} skipped=${progress.skipped} rows=${progress.rows} duration_s=${seconds} status=${progress.status}`
  );
}

/** A fixed-width table of runs, header first. */
export function formatRunsTable(runs: readonly RunSummary[]): string {
  const header = ['STARTED (UTC)', 'JOB', 'PARTITION', 'STATUS', 'DURATION', 'ROWS', 'RETRIES', 'RUNNER', 'ERROR'];
  const rows = runs.map((run) => {
    const finals = run.tasks.filter((task) => task.status === 'succeeded');
    const failed = run.tasks.find((task) => task.status === 'failed');
    return [
      run.started_at.replace('T', ' ').slice(0, 19),
      run.job_id,
      run.partition,
      run.status,
      `${((Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000).toFixed(1)}s`,
      String(finals.reduce((sum, task) => sum + (task.rows ?? 0), 0)),
      String(run.tasks.filter((task) => task.status === 'retrying').length),
      run.runner_id,
      failed?.error ? truncate(failed.error, 80) : '',
    ];
  });
  if (rows.length === 0) return 'no runs';
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  return [header, ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}
