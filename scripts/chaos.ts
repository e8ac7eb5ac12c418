/**
 * `npm run chaos -- --target store|kafka --kills K`: injects K crashes under a POS load and proves by
 * event_id that every sale a POS got a 202 for was stored (or dead-lettered) exactly once.
 *   --target store  SIGKILLs a store process at K random moments and restarts it on the same buffer
 *   --target kafka  SIGKILLs the Kafka broker K times and starts it again (stores ship over Kafka);
 *                   needs the servers of scripts/services up
 * The last line is `chaos: target=T kills=K accepted=A stored=S missing=M duplicated=D`; the exit
 * status is 1 when anything is missing or doubled, 3 when the servers it needs are down.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ChaosPreconditionError, runChaos, type ChaosTarget } from './lib/chaos-run.ts';
import { REPO_ROOT } from './lib/stack.ts';

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('must be a positive integer');
  return parsed;
}

function rate(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) throw new InvalidArgumentError('must be a number from 0 to 1');
  return parsed;
}

const program = new Command('chaos')
  .description('Crash a store process or the Kafka broker K times under load and prove nothing acked was lost or doubled.')
  .addOption(new Option('--target <target>', 'what to kill').choices(['store', 'kafka']).makeOptionMandatory())
  .option('--kills <k>', 'crashes to inject', positiveInt, 10)
  .addOption(new Option('--profile <profile>', 'adapters central runs on').choices(['embedded', 'production']).default('embedded'))
  .option('--stores <n>', 'stores under load, each its own process', positiveInt, 1)
  .option('--rate <n>', 'POS sales per second per store', positiveInt, 200)
  .option('--bad-rate <r>', 'share of sales made malformed or with an unknown SKU', rate, 0)
  .option('--seed <n>', 'seed of the kill moments and the sales', positiveInt, 1)
  .option('--data-dir <dir>', 'where the run keeps its files (default: a fresh folder under data/chaos/)')
  .option('--keep', "keep the run's data folder (buffers, DuckDB files, logs)", false)
  .parse();

const options = program.opts<{
  target: ChaosTarget;
  kills: number;
  profile: 'embedded' | 'production';
  stores: number;
  rate: number;
  badRate: number;
  seed: number;
  dataDir?: string;
  keep: boolean;
}>();

const dataDir = options.dataDir ?? join(REPO_ROOT, 'data', 'chaos', new Date().toISOString().replace(/[:.]/g, '-'));
const started = Date.now();
let exitCode = 1;
try {
  const result = await runChaos({ ...options, ratePerSecond: options.rate, dataDir, print: (line) => console.log(line) });
  console.log(`chaos: took ${((Date.now() - started) / 1000).toFixed(1)} s; logs and data in ${options.keep ? dataDir : '(removed; pass --keep to keep them)'}`);
  console.log(result.line);
  exitCode = result.ok ? 0 : 1;
  if (!result.ok) options.keep = true;
} catch (error) {
  if (error instanceof ChaosPreconditionError) {
    console.error(`chaos: ${error.message}`);
    exitCode = 3;
  } else {
    console.error(`chaos: failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.error(`chaos: logs are in ${join(dataDir, 'logs')}`);
    options.keep = true;
  }
} finally {
  if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
