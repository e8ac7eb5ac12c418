/**
 * `retail-sync reconcile --date D`: runs the DAG runner's reconcile_daily job for one business day and
 * prints one line per store, then exactly
 *   reconcile-day: date=D stores=N match=N mismatched=M seq_gaps=G
 * as the last line. --stored prints the last stored results without running the check again.
 * Exit 1 when a store-day is mismatched (order store and warehouse disagree on count or sum) or seqs are
 * missing.
 */
import type { Command } from 'commander';
import { EXIT } from '../cli-error.ts';
import { requestJson } from '../http.ts';
import { businessDate } from './dag.ts';

/** GET|POST /v1/dags/reconcile?date= — mirrors dags/src/http.ts. */
export interface ReconcileDayResponse {
  date: string;
  summary: { date: string; stores: number; match: number; mismatched: number; seq_gaps: number };
  stores: Array<Record<string, unknown>>;
  lines: string[];
  line: string;
}

export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description('check one business day per store: order store vs warehouse (count, sum of total_minor) and seq gaps')
    .requiredOption('--date <date>', 'business date, YYYY-MM-DD', businessDate)
    .option('--stored', 'print the stored results of the last check instead of running it now', false)
    .action(async (options: { date: string; stored: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<{ dagsUrl: string; json: boolean }>();
      const result = options.stored
        ? await requestJson<ReconcileDayResponse>(`${globals.dagsUrl}/v1/dags/reconcile?date=${options.date}`)
        : await requestJson<ReconcileDayResponse>(`${globals.dagsUrl}/v1/dags/reconcile`, { method: 'POST', body: { date: options.date } });
      if (globals.json) console.log(JSON.stringify(result, null, 2));
      else for (const line of [...result.lines, result.line]) console.log(line);
      if (result.summary.mismatched > 0 || result.summary.seq_gaps > 0) process.exitCode = EXIT.PROBLEM;
    });
}
