/**
 * `npm run simulate -- --stores N [--duration S] [--rate R] [--processes P]`: N stores take POS traffic
 * for S seconds at R sales/s each, central ingests and stores it, then the run drains, rolls up and
 * reconciles. Stores run one per process up to 20, else 25 per host process (or P processes). A
 * progress bar (stderr, on a terminal) shows the send phase; a lag line every 10 s shows the worst store.
 * `--profile production --workers W --add-worker-after S` runs on the real servers with W worker
 * processes and starts one more S seconds in, then prints the drain rate per number of workers. Ends with
 *   simulate: stores=N processes=P sent_for=S accepted=A intake=X ev/s end_to_end=Y ev/s max_lag=L events (T s) …
 *   reconcile: stores=N accepted=… missing=0 duplicated=0
 * Exit 0 when everything drained and reconciled, 1 otherwise, 2 on a usage error.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createProgress } from './cli/progress.ts';
import { formatDrainPhase } from './lib/drain-rate.ts';
import { runSimulation } from './lib/simulate-run.ts';
import { REPO_ROOT } from './lib/stack.ts';

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive number');
  return parsed;
}

function share(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return parsed;
}

const program = new Command('simulate')
  .description('Run N stores under steady POS traffic, watch every store\'s lag, then prove by reconciliation that nothing was lost or doubled.')
  .option('--stores <n>', 'stores (past the seed catalog\'s 20, generated ones are added to this run\'s catalog)', positiveInt, 20)
  .option('--duration <s>', 'seconds of traffic', positiveInt, 60)
  .option('--rate <r>', 'sales per second per store', positiveNumber, 2)
  .option('--processes <p>', 'store processes (default: one per store up to 20, else one per 25 stores)', positiveInt)
  .option('--bad-rate <r>', 'share of sales made malformed on purpose', share, 0.01)
  .option('--retry-rate <r>', 'share of sales a POS re-sends', share, 0.02)
  .option('--seed <n>', 'simulator seed', positiveInt, 1)
  .option('--data-dir <dir>', 'where the run keeps its files (default: a fresh folder under data/simulate/)')
  .option('--keep', 'keep the run\'s data folder (buffers, DuckDB files, logs) and, on production, its queue keys, keyspace and database', false)
  .addOption(new Option('--profile <profile>', 'embedded (DuckDB files, no servers) or production (BullMQ, Cassandra, ClickHouse from scripts/services)').choices(['embedded', 'production']).default('embedded'))
  .option('--workers <w>', 'production: worker processes from the start', positiveInt, 1)
  .option('--add-worker-after <s>', 'production: start one more worker process this many seconds into the traffic', positiveNumber)
  .addHelpText('after', '\nExit codes: 0 drained and reconciled · 1 something missing, doubled or not drained · 2 usage error')
  .parse();

const options = program.opts<{
  stores: number; duration: number; rate: number; processes?: number; badRate: number; retryRate: number; seed: number; dataDir?: string; keep: boolean;
  profile: 'embedded' | 'production'; workers: number; addWorkerAfter?: number;
}>();
// The embedded queue and order store are DuckDB files one process writes: its worker lives in central.
if (options.profile === 'embedded' && (options.addWorkerAfter !== undefined || program.getOptionValueSource('workers') === 'cli')) {
  program.error('--workers and --add-worker-after need --profile production (the embedded worker runs inside central)', { exitCode: 2 });
}
const dataDir = options.dataDir ?? join(REPO_ROOT, 'data', 'simulate', new Date().toISOString().replace(/[:.]/g, '-'));
// Off a terminal the `lag:` lines below are the periodic progress lines, so the bar prints nothing there.
const bar = createProgress<{ taken: number; acked: number; lag: number; lagSeconds: string; queue: number }>({
  barFormat: 'simulate |{bar}| {value}/{total} s | taken {taken} acked {acked} | max lag {lag} ev {lagSeconds} s | queue {queue}',
});
let lastLagLine = 0;
const say = (line: string) => bar.log(line);
let exitCode = 1;
try {
  bar.start(options.duration, { taken: 0, acked: 0, lag: 0, lagSeconds: '0.0', queue: 0 });
  const result = await runSimulation({
    stores: options.stores,
    durationSeconds: options.duration,
    ratePerStore: options.rate,
    processes: options.processes,
    badRate: options.badRate,
    retryRate: options.retryRate,
    seed: options.seed,
    dataDir,
    profile: options.profile,
    workers: options.workers,
    addWorkerAfterSeconds: options.addWorkerAfter,
    keepServerData: options.keep,
    print: say,
    onSample: (sample, elapsed) => {
      bar.update(Math.min(options.duration, Math.round(elapsed)), { taken: sample.taken, acked: sample.acked, lag: sample.maxLagEvents, lagSeconds: sample.maxLagSeconds.toFixed(1), queue: sample.queueWaiting });
      if (elapsed - lastLagLine >= 10) {
        lastLagLine = elapsed;
        say(`lag: t=${elapsed.toFixed(0)}s taken=${sample.taken} acked=${sample.acked} max_lag=${sample.maxLagEvents} events (${sample.maxLagStore || '-'}) oldest_unacked=${sample.maxLagSeconds.toFixed(1)}s queue_waiting=${sample.queueWaiting}${sample.workers ? ` workers=${sample.workers.processes} drain=${sample.workers.drainPerSecond.toFixed(0)} jobs/s` : ''}${sample.unreachable ? ` unreachable=${sample.unreachable}` : ''}`);
      }
    },
  });
  bar.stop();
  console.log(
    `simulate: stores=${options.stores} processes=${result.processes} sent_for=${result.sentSeconds.toFixed(0)}s accepted=${result.accepted} intake=${result.intakePerSecond.toFixed(0)} ev/s end_to_end=${result.endToEndPerSecond.toFixed(0)} ev/s ` +
      `max_lag=${result.peak.lagEvents} events (${result.peak.lagSeconds.toFixed(1)} s) max_queue_waiting=${result.peak.queueWaiting} drain=${result.drainSeconds.toFixed(1)}s${result.drained ? '' : ' NOT DRAINED'}`,
  );
  for (const phase of result.workerPhases) console.log(formatDrainPhase(phase));
  if (result.jobsPerWorker.length > 0) console.log(`workers: jobs per worker process ${result.jobsPerWorker.join(' ')}`);
  console.log(result.reconcileLine);
  exitCode = result.ok ? 0 : 1;
} catch (error) {
  bar.stop();
  console.error(`simulate: failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  console.error(`simulate: logs are in ${join(dataDir, 'logs')}`);
  options.keep = true;
} finally {
  if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
