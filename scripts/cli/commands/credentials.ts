/**
 * `retail-sync credentials …`: store keys, over central's admin API (--admin-url).
 *   credentials issue <store>    a new key; older keys stay valid
 *   credentials rotate <store>   a new key; the store's older keys expire after the overlap window
 *   credentials list [--store S] key ids and states (never secrets)
 *   credentials revoke <key_id>  stops a key at once (other central replicas within their cache TTL)
 * issue and rotate print the secret ONCE, as the two lines to put in the store's environment; central
 * keeps only its hash and cannot show it again.
 */
import { type Command } from 'commander';
import { CliError, EXIT } from '../cli-error.ts';
import { requestJson } from '../http.ts';

interface IssuedKey {
  key_id: string;
  store_id: string;
  secret: string;
  created_at: string;
  expires_at: string | null;
  expiring: Array<{ key_id: string; expires_at: string }>;
}

interface CredentialSummary {
  key_id: string;
  store_id: string;
  state: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

interface GlobalOptions {
  adminUrl: string;
  json: boolean;
}

function storeArgument(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:\-/]{0,63}$/.test(value)) throw new CliError(`"${value}" is not a store id`, EXIT.USAGE);
  return value;
}

async function issue(command: Command, storeId: string, rotate: boolean): Promise<void> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const key = await requestJson<IssuedKey>(`${globals.adminUrl}/v1/admin/stores/${encodeURIComponent(storeArgument(storeId))}/credentials`, { method: 'POST', body: { rotate } });
  if (globals.json) {
    console.log(JSON.stringify(key, null, 2));
    return;
  }
  console.log(`# store ${key.store_id}: new key ${key.key_id} (the secret is shown this once; central keeps only its hash)`);
  console.log(`RS_STORE_KEY_ID=${key.key_id}`);
  console.log(`RS_STORE_KEY=${key.secret}`);
  for (const old of key.expiring) console.log(`# older key ${old.key_id} stays valid until ${old.expires_at}`);
}

export function registerCredentials(program: Command): void {
  const credentials = program.command('credentials').description('store keys: issue, rotate, list, revoke');

  credentials
    .command('issue')
    .description('issue a new key for a store and print its secret once')
    .argument('<store>', 'store id')
    .action((storeId: string, _options: unknown, command: Command) => issue(command, storeId, false));

  credentials
    .command('rotate')
    .description("issue a new key and let the store's older keys expire after the overlap window")
    .argument('<store>', 'store id')
    .action((storeId: string, _options: unknown, command: Command) => issue(command, storeId, true));

  credentials
    .command('list')
    .description('list key ids and their state (active, expired, revoked); never secrets')
    .option('--store <id>', 'only this store', storeArgument)
    .action(async (options: { store?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const query = options.store ? `?store=${encodeURIComponent(options.store)}` : '';
      const { credentials: keys } = await requestJson<{ credentials: CredentialSummary[] }>(`${globals.adminUrl}/v1/admin/credentials${query}`);
      if (globals.json) console.log(JSON.stringify(keys, null, 2));
      else {
        for (const key of keys) {
          console.log(`${key.key_id}  ${key.store_id}  ${key.state}  created_at=${key.created_at} expires_at=${key.expires_at ?? '-'} revoked_at=${key.revoked_at ?? '-'}`);
        }
        console.log(`credentials: keys=${keys.length} active=${keys.filter((key) => key.state === 'active').length}`);
      }
    });

  credentials
    .command('revoke')
    .description('revoke one key at once')
    .argument('<key_id>', 'key id (rsk_…)')
    .action(async (keyId: string, _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const key = await requestJson<CredentialSummary>(`${globals.adminUrl}/v1/admin/credentials/${encodeURIComponent(keyId)}/revoke`, { method: 'POST' });
      console.log(globals.json ? JSON.stringify(key, null, 2) : `revoked ${key.key_id} of store ${key.store_id} at ${key.revoked_at}`);
    });
}
