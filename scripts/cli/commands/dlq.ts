/**
 * `retail-sync dlq …`: the dead-letter store, over central's admin API (--admin-url).
 *   dlq list [--reason R] [--store S] [--all] [--limit N]   one line per letter (unreplayed only unless --all)
 *   dlq show <id>                                            the whole letter: reason, stage, attempts, raw payload
 *   dlq replay <id> | --reason R [--store S]                 sends letters through the queue again; by reason
 *                                                            one letter at a time, with a progress bar on stderr
 * Replaying is safe to repeat: the job id is the event_id and the order-store write is idempotent, so a
 * sale is stored once however often its letter is replayed (or a replay is interrupted and run again).
 * Exit 1 when some letter could not be replayed.
 */
import { type Command } from 'commander';
import { CliError, EXIT } from '../cli-error.ts';
import { requestJson } from '../http.ts';
import { createProgress } from '../progress.ts';

/** Mirrors libs/src/ports/dead-letter.ts DeadLetter. */
export interface DeadLetterView {
  id: string;
  event_id: string | null;
  store_id: string | null;
  seq: number | null;
  stage: string;
  reason_code: string;
  reason: string;
  attempts: number;
  payload: string;
  created_at: string;
  replayed_at: string | null;
}

interface ReplayResult {
  id: string;
  event_id: string;
  outcome: string;
  replayed_at: string;
}

interface BulkReplay {
  reason: string;
  matched: number;
  replayed: number;
  not_replayable: number;
  results: Array<ReplayResult | { id: string; error: { code: string; message: string } }>;
}

/** The most letters one replay by reason takes (as the admin API's bulk replay); run it again for the rest. */
const REPLAY_BY_REASON_MAX = 10_000;

interface GlobalOptions {
  adminUrl: string;
  json: boolean;
}

const REASON = /^RS_ERR_[A-Z0-9_]+$/;

function reasonCode(value: string): string {
  if (!REASON.test(value)) throw new CliError(`"${value}" is not a reason code (RS_ERR_…)`, EXIT.USAGE);
  return value;
}

function limit(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 10_000) throw new CliError(`"${value}" must be an integer in 1..10000`, EXIT.USAGE);
  return parsed;
}

export function formatLetterLine(letter: DeadLetterView): string {
  const where = `${letter.store_id ?? '-'}#${letter.seq ?? '-'}`;
  const replayed = letter.replayed_at ? ` replayed_at=${letter.replayed_at}` : '';
  return `${letter.id}  ${letter.reason_code}  stage=${letter.stage} attempts=${letter.attempts} store=${where} created_at=${letter.created_at}${replayed}  ${letter.reason}`;
}

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('dead letters: list, inspect and replay events central could not store');

  dlq
    .command('list')
    .description('list dead letters (not yet replayed, unless --all), oldest first')
    .option('--reason <code>', 'only this reason code, e.g. RS_ERR_UNKNOWN_PRODUCT', reasonCode)
    .option('--store <id>', 'only letters of this store')
    .option('--all', 'include letters already replayed', false)
    .option('--limit <n>', 'letters to show (1..10000)', limit, 500)
    .action(async (options: { reason?: string; store?: string; all: boolean; limit: number }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const query = new URLSearchParams({ limit: String(options.limit), include_replayed: String(options.all) });
      if (options.reason) query.set('reason', options.reason);
      if (options.store) query.set('store', options.store);
      const { dead_letters: letters } = await requestJson<{ dead_letters: DeadLetterView[] }>(`${globals.adminUrl}/v1/admin/dead-letters?${query}`);
      if (globals.json) console.log(JSON.stringify(letters, null, 2));
      else {
        for (const letter of letters) console.log(formatLetterLine(letter));
        console.log(`dlq: letters=${letters.length}${options.reason ? ` reason=${options.reason}` : ''}`);
      }
    });

  dlq
    .command('show')
    .description('show one dead letter with its raw payload')
    .argument('<id>', 'dead letter id (the event_id when known)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const letter = await requestJson<DeadLetterView>(`${globals.adminUrl}/v1/admin/dead-letters/${encodeURIComponent(id)}`);
      console.log(JSON.stringify(letter, null, 2));
    });

  dlq
    .command('replay')
    .description('replay one dead letter, or every unreplayed letter of --reason (after fixing the cause, e.g. the catalog)')
    .argument('[id]', 'dead letter id')
    .option('--reason <code>', 'replay every unreplayed letter with this reason code', reasonCode)
    .option('--store <id>', 'with --reason: only letters of this store')
    .action(async (id: string | undefined, options: { reason?: string; store?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      if ((id === undefined) === (options.reason === undefined)) throw new CliError('give either a dead letter <id> or --reason <code>', EXIT.USAGE);
      if (id !== undefined) {
        const result = await requestJson<ReplayResult>(`${globals.adminUrl}/v1/admin/dead-letters/${encodeURIComponent(id)}/replay`, { method: 'POST' });
        console.log(globals.json ? JSON.stringify(result, null, 2) : `replayed ${result.id} event_id=${result.event_id} outcome=${result.outcome}`);
        return;
      }
      const bulk = await replayByReason(globals.adminUrl, options.reason!, options.store, !globals.json);
      if (globals.json) console.log(JSON.stringify(bulk, null, 2));
      else {
        for (const entry of bulk.results) {
          console.log('error' in entry ? `not replayed ${entry.id}: ${entry.error.code} ${entry.error.message}` : `replayed ${entry.id} outcome=${entry.outcome}`);
        }
        console.log(`dlq replay: reason=${bulk.reason} matched=${bulk.matched} replayed=${bulk.replayed} not_replayable=${bulk.not_replayable}`);
      }
      if (bulk.not_replayable > 0) process.exitCode = EXIT.PROBLEM;
    });
}

/**
 * Replays every unreplayed letter of a reason one by one, so the operator sees progress. A letter the
 * admin API refuses for good (no complete envelope, gone meanwhile) is reported and the others still go;
 * a service error stops the run (exit 3), and running it again continues where it stopped.
 */
async function replayByReason(adminUrl: string, reason: string, store: string | undefined, showProgress: boolean): Promise<BulkReplay> {
  const query = new URLSearchParams({ reason, include_replayed: 'false', limit: String(REPLAY_BY_REASON_MAX) });
  if (store) query.set('store', store);
  const { dead_letters: letters } = await requestJson<{ dead_letters: DeadLetterView[] }>(`${adminUrl}/v1/admin/dead-letters?${query}`);
  const progress = showProgress
    ? createProgress<{ refused: number }>({
        barFormat: `replay ${reason} [{bar}] {value}/{total} letters | not replayable {refused}`,
        plainLine: (done, total, { refused }) => `dlq replay: ${done}/${total} letters not_replayable=${refused}`,
      })
    : undefined;
  const results: BulkReplay['results'] = [];
  let refused = 0;
  progress?.start(letters.length, { refused });
  try {
    for (const letter of letters) {
      try {
        results.push(await requestJson<ReplayResult>(`${adminUrl}/v1/admin/dead-letters/${encodeURIComponent(letter.id)}/replay`, { method: 'POST' }));
      } catch (error) {
        const answer = error instanceof CliError ? error.answer : undefined;
        if (!answer || answer.status >= 500) throw error;
        refused += 1;
        results.push({ id: letter.id, error: { code: answer.code ?? `HTTP_${answer.status}`, message: answer.message } });
      }
      progress?.update(results.length, { refused });
    }
  } finally {
    progress?.stop();
  }
  return { reason, matched: letters.length, replayed: letters.length - refused, not_replayable: refused, results };
}
