/**
 * `npm run bench [-- --quick] [--only intake,worker] [--out FILE]`: measures every stage of the
 * pipeline next to its raw ceiling in the same run and writes BENCHMARKS.md (command, machine, date,
 * figures, ratios; for a missed target, a CPU profile's summary). Starts the real servers it needs
 * and stops only those it started. A stage that cannot run is reported and makes the exit status 1;
 * a missed target does not (the report says it).
 */
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { scaleOf, type BenchContext, type StageResult } from './bench/harness.ts';
import { renderReport, type StageOutcome } from './bench/report.ts';
import { ensureKcat, ensureServers, SERVERS, type Server } from './bench/servers.ts';
import { STAGES } from './bench/stages.ts';
import { REPO_ROOT } from './lib/stack.ts';

function stageList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !STAGES.some((stage) => stage.name === name));
  if (names.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`unknown stage ${unknown.join(', ')}; stages: ${STAGES.map((stage) => stage.name).join(', ')}`);
  return names;
}

const program = new Command('bench')
  .description('Measure each pipeline stage against its raw ceiling in the same run and write BENCHMARKS.md.')
  .option('--quick', 'small sizes and 2 rounds (what the test suite runs); the figures are not the benchmark', false)
  .option('--only <stages>', `comma-separated stages (${STAGES.map((stage) => stage.name).join(', ')})`, stageList)
  .option('--keep', 'keep the scratch folder (store buffers, service logs) instead of removing it', false)
  .option('--json <file>', 'also write the figures as JSON (what the test suite checks)')
  .option('--out <file>', 'report path (default: BENCHMARKS.md for a full run, data/bench/BENCHMARKS.partial.md for --quick or --only)')
  .parse();

const options = program.opts<{ quick: boolean; keep: boolean; only?: string[]; out?: string; json?: string }>();
const partial = options.quick || options.only !== undefined;
const out = resolve(options.out ?? join(REPO_ROOT, partial ? 'data/bench/BENCHMARKS.partial.md' : 'BENCHMARKS.md'));
const stages = STAGES.filter((stage) => !options.only || options.only.includes(stage.name));
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');

const startedAt = new Date();
const scale = scaleOf(options.quick);
const workDir = mkdtempSync(join(tmpdir(), 'rs-bench-'));
const results = new Map<string, StageResult>();
const context: BenchContext = { workDir, log, results };
const outcomes: StageOutcome[] = [];

const neededServers = SERVERS.filter((server: Server) => stages.some((stage) => stage.needs.includes(server)));
const servers = ensureServers(neededServers, log);
try {
  if (stages.some((stage) => stage.needs.includes('kcat'))) ensureKcat(log);
  for (const stage of stages) {
    log(`${stage.name}: ${stage.title}`);
    const stageStarted = performance.now();
    try {
      const result = await stage.run(scale, context);
      results.set(stage.name, result);
      outcomes.push({ stage, result, seconds: (performance.now() - stageStarted) / 1000 });
      const ratio = result.ratio === null ? '' : ` ratio ${result.ratio.toFixed(2)}${result.target ? ` (target ${result.target}: ${result.met ? 'met' : 'MISSED'})` : ''}`;
      log(`${stage.name}: ours ${JSON.stringify(result.ours)} ceiling ${JSON.stringify(result.ceiling)}${ratio}`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`${stage.name}: FAILED ${message}`);
      outcomes.push({ stage, error: error instanceof Error ? error.message : String(error), seconds: (performance.now() - stageStarted) / 1000 });
    }
  }
} finally {
  servers.stop();
}

const seconds = (Date.now() - startedAt.getTime()) / 1000;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, renderReport({ command, startedAt, seconds, quick: options.quick, outcomes }));
if (options.json) {
  const stagesJson = outcomes.map(({ stage, result, error, seconds: stageSeconds }) => ({ name: stage.name, seconds: stageSeconds, ...(result ? { result } : { error }) }));
  writeFileSync(resolve(options.json), `${JSON.stringify({ command, started_at: startedAt.toISOString(), seconds, quick: options.quick, stages: stagesJson }, null, 2)}\n`);
}
const failed = outcomes.filter((outcome) => !outcome.result);
if (options.keep) log(`kept ${workDir} (store buffers and service logs)`);
else rmSync(workDir, { recursive: true, force: true });
if (failed.length > 0 && !options.keep) log('a stage failed: run it again with --only <stage> --keep to keep its service logs');
log(`wrote ${out} in ${seconds.toFixed(0)} s${failed.length ? `; ${failed.length} stage(s) not measured: ${failed.map((outcome) => outcome.stage.name).join(', ')}` : ''}`);
process.exit(failed.length > 0 ? 1 : 0);
