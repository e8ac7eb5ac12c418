/**
 * `npm run simulate -- --stores N [--duration S] [--rate R] [--processes P]`: N stores take POS traffic
 * for S seconds at R sales/s each, central ingests and stores it, then the run drains, rolls up and
 * reconciles. Stores run one per process up to 20, else 25 per host process (or P processes). A
 * progress bar (stderr) shows the send phase; a lag line every 10 s shows the worst store. Ends with
 *   simulate: stores=N processes=P sent_for=S accepted=A intake=X ev/s end_to_end=Y ev/s max_lag=L events (T s) …
 *   reconcile: stores=N accepted=… missing=0 duplicated=0
 * Exit 0 when everything drained and reconciled, 1 otherwise.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
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
  .option('--keep', 'keep the run\'s data folder (buffers, DuckDB files, logs)', false)
  .addHelpText('after', '\nExit codes: 0 drained and reconciled · 1 something missing, doubled or not drained · 2 usage error')
  .parse();

const options = program.opts<{ stores: number; duration: number; rate: number; processes?: number; badRate: number; retryRate: number; seed: number; dataDir?: string; keep: boolean }>();
const dataDir = options.dataDir ?? join(REPO_ROOT, 'data', 'simulate', new Date().toISOString().replace(/[:.]/g, '-'));
const bar = new cliProgress.SingleBar(
  { stream: process.stderr, format: 'simulate |{bar}| {value}/{total} s | taken {taken} acked {acked} | max lag {lag} ev {lagSeconds} s | queue {queue}', hideCursor: true },
  cliProgress.Presets.shades_classic,
);
let lastLagLine = 0;
/** A line above the progress bar: the bar (stderr) is cleared, the line goes to stdout, the bar redraws on its next update. */
function say(line: string): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  console.log(line);
}
let exitCode = 1;
try {
  bar.start(options.duration, 0, { taken: 0, acked: 0, lag: 0, lagSeconds: 0, queue: 0 });
  const result = await runSimulation({
    stores: options.stores,
    durationSeconds: options.duration,
    ratePerStore: options.rate,
    processes: options.processes,
    badRate: options.badRate,
    retryRate: options.retryRate,
    seed: options.seed,
    dataDir,
    print: say,
    onSample: (sample, elapsed) => {
      bar.update(Math.min(options.duration, Math.round(elapsed)), { taken: sample.taken, acked: sample.acked, lag: sample.maxLagEvents, lagSeconds: sample.maxLagSeconds.toFixed(1), queue: sample.queueWaiting });
      if (elapsed - lastLagLine >= 10) {
        lastLagLine = elapsed;
        say(`lag: t=${elapsed.toFixed(0)}s taken=${sample.taken} acked=${sample.acked} max_lag=${sample.maxLagEvents} events (${sample.maxLagStore || '-'}) oldest_unacked=${sample.maxLagSeconds.toFixed(1)}s queue_waiting=${sample.queueWaiting}${sample.unreachable ? ` unreachable=${sample.unreachable}` : ''}`);
      }
    },
  });
  bar.stop();
  console.log(
    `simulate: stores=${options.stores} processes=${result.processes} sent_for=${result.sentSeconds.toFixed(0)}s accepted=${result.accepted} intake=${result.intakePerSecond.toFixed(0)} ev/s end_to_end=${result.endToEndPerSecond.toFixed(0)} ev/s ` +
      `max_lag=${result.peak.lagEvents} events (${result.peak.lagSeconds.toFixed(1)} s) max_queue_waiting=${result.peak.queueWaiting} drain=${result.drainSeconds.toFixed(1)}s${result.drained ? '' : ' NOT DRAINED'}`,
  );
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
