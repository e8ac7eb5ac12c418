/**
 * `retail-sync` (also `npm run cli -- …`): the operators' CLI. Commands talk to the running services
 * over their HTTP APIs (central admin, DAG runner), never to a database file another process owns;
 * only `buffer inspect` reads files, read-only. Each command lives in commands/<name>.ts.
 *
 * Exit codes: 0 done; 1 the check ran and found a problem (a reconciliation mismatch, a failed run);
 * 2 usage error (bad command or option); 3 a service could not be reached or answered an error.
 */
import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './cli-error.ts';
import { registerCommands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('retail-sync')
    .description('Operate retail-sync: dead letters, DAG runs and backfills, reconciliation, store buffers.')
    .option('--admin-url <url>', 'central admin API', process.env.RS_ADMIN_URL ?? 'http://127.0.0.1:8000')
    .option('--dags-url <url>', 'DAG runner API', process.env.RS_DAGS_URL ?? 'http://127.0.0.1:8001')
    .option('--json', 'print machine-readable JSON instead of text', false)
    .showHelpAfterError()
    .exitOverride();
  program.addHelpText('after', `\nExit codes: ${EXIT.OK} done · ${EXIT.PROBLEM} a check found a problem · ${EXIT.USAGE} usage error · ${EXIT.UNAVAILABLE} a service could not be reached`);
  registerCommands(program);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof CliError) {
      console.error(`retail-sync: ${error.message}`);
      return error.exitCode;
    }
    console.error(`retail-sync: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.UNAVAILABLE;
  }
}
