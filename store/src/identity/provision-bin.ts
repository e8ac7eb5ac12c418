/**
 * One-shot provisioning of an identity pool from the store image (docker-compose.yml's store-pool-init):
 *   node store/dist/provision.mjs --dir /var/lib/retail-sync/pool --stores nyc-001:America/New_York,…
 * Idempotent: existing identities and their buffers are left alone. Shops get the derived dev key;
 * for issued keys use `retail-sync store-pool init --issue-keys` (it needs central's admin API).
 */
import { parseArgs } from 'node:util';
import { parseIdentitySpecs, provisionPool } from './provision.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, stores: { type: 'string' } } });
if (!values.dir || !values.stores) {
  process.stderr.write('usage: provision-bin.ts --dir <pool> --stores <store_id>:<IANA timezone>,…\n');
  process.exit(2);
}
try {
  const result = await provisionPool(values.dir, parseIdentitySpecs(values.stores));
  process.stdout.write(`store-pool: ${values.dir} created=${result.created.join(',') || '-'} existing=${result.existing.join(',') || '-'}\n`);
} catch (error) {
  process.stderr.write(`store-pool: ${(error as { code?: string }).code ?? 'error'}: ${(error as Error).message}\n`);
  process.exit(1);
}
