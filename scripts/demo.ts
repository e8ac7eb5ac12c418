/**
 * `npm run demo -- --stores N --events M [--bad-rate R] [--retry-rate R]`: a bounded run of the whole
 * pipeline. N stores (each its own process) take M simulated sales in all, central ingests and stores
 * them, the DAG runner rolls them up, and reconciliation compares, per store, the seq range the store
 * acked with what the order store, the dead-letter store and the warehouse hold. The last line is
 * `reconcile: stores=N accepted=A stored=S warehouse=W dead_lettered=D missing=0 duplicated=0`;
 * the exit status is non-zero when anything is missing or doubled.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDemo } from './lib/demo-run.ts';
import { REPO_ROOT } from './lib/stack.ts';

function rate(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return parsed;
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

const program = new Command('demo')
  .description('Run the whole pipeline on a bounded load and prove by reconciliation that nothing was lost or doubled.')
  .option('--stores <n>', 'stores, each its own process (at most the seed catalog\'s 20)', positiveInt, 3)
  .option('--events <m>', 'simulated sales in all, spread over the stores (malformed ones included)', positiveInt, 3000)
  .option('--bad-rate <r>', 'share of sales made malformed on purpose', rate, 0.02)
  .option('--retry-rate <r>', 'share of sales a POS re-sends (same receipt)', rate, 0.05)
  .option('--seed <n>', 'simulator seed (same seed, same sales)', positiveInt, 1)
  .addOption(new Option('--profile <profile>', 'adapters to run on').choices(['embedded', 'production']).default('embedded'))
  .addOption(new Option('--transport <transport>', 'store → central transport').choices(['grpc', 'kafka']).default('grpc'))
  .option('--data-dir <dir>', 'where the run keeps its files (default: a fresh folder under data/demo/)')
  .option('--keep', 'keep the run\'s data folder (buffers, DuckDB files, logs) and, on the production profile, its keyspace, database and queue keys', false)
  .parse();

const options = program.opts<{
  stores: number;
  events: number;
  badRate: number;
  retryRate: number;
  seed: number;
  profile: 'embedded' | 'production';
  transport: 'grpc' | 'kafka';
  dataDir?: string;
  keep: boolean;
}>();

const dataDir = options.dataDir ?? join(REPO_ROOT, 'data', 'demo', new Date().toISOString().replace(/[:.]/g, '-'));
const started = Date.now();
let exitCode = 1;
try {
  const result = await runDemo({ ...options, dataDir, keepServerData: options.keep, print: (line) => console.log(line) });
  console.log(`demo: took ${((Date.now() - started) / 1000).toFixed(1)} s; logs and data in ${options.keep ? dataDir : '(removed; pass --keep to keep them)'}`);
  console.log(result.reconcileLine);
  exitCode = result.ok ? 0 : 1;
} catch (error) {
  console.error(`demo: failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  console.error(`demo: logs are in ${join(dataDir, 'logs')}`);
  options.keep = true;
} finally {
  if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
