/**
 * `retail-sync store-pool …`: the identity pool scalable store replicas claim shops from
 * (RS_STORE_IDENTITY_POOL; `docker compose up --scale store=N`).
 *   store-pool init --dir <pool> --stores nyc-001:America/New_York,…  [--issue-keys]
 *       one folder per shop (identity.json, buffer/); existing shops are left as they are. Without
 *       --issue-keys shops use the derived dev key (central with RS_DEV_DERIVED_KEYS); with it, each new
 *       shop gets a key issued over central's admin API, its secret stored 0600 beside identity.json.
 *   store-pool status --dir <pool> [--stale-ms N]
 *       each shop: held (by which replica, at what URL) / stale (its replica died; claimable) / free,
 *       and its buffer bytes. Read-only. Exit 1 when a shop is not held (no replica serves it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseIdentitySpecs, poolStatus, provisionPool, type IdentitySpec } from '@retail-sync/store';
import { CliError, EXIT } from '../cli-error.ts';
import { requestJson } from '../http.ts';

interface GlobalOptions {
  adminUrl: string;
  json: boolean;
}

function parseSpecs(list: string): IdentitySpec[] {
  try {
    return parseIdentitySpecs(list);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.USAGE);
  }
}

export function registerStorePool(program: Command): void {
  const pool = program.command('store-pool').description('the shop identities scalable store replicas claim (RS_STORE_IDENTITY_POOL)');

  pool
    .command('init')
    .description('write one identity folder per shop (idempotent: existing shops and their buffers are left alone)')
    .requiredOption('--dir <pool>', 'pool directory (the volume every store replica mounts)')
    .requiredOption('--stores <list>', 'shops as <store_id>:<IANA timezone>, comma-separated', parseSpecs)
    .option('--issue-keys', "issue each new shop a key over central's admin API (else: derived dev keys)", false)
    .action(async (options: { dir: string; stores: IdentitySpec[]; issueKeys: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const specs: IdentitySpec[] = [];
      for (const spec of options.stores) {
        // A shop already in the pool keeps its key: issuing another would only leave an unused one.
        if (!options.issueKeys || existsSync(join(options.dir, spec.storeId, 'identity.json'))) {
          specs.push(spec);
          continue;
        }
        const key = await requestJson<{ key_id: string; secret: string }>(`${globals.adminUrl}/v1/admin/stores/${encodeURIComponent(spec.storeId)}/credentials`, { method: 'POST', body: { rotate: false } });
        specs.push({ ...spec, issuedKey: { keyId: key.key_id, secret: key.secret } });
      }
      const result = await provisionPool(options.dir, specs).catch((error: unknown) => {
        throw new CliError((error as Error).message, EXIT.USAGE);
      });
      if (globals.json) console.log(JSON.stringify(result, null, 2));
      else console.log(`store-pool: ${options.dir} created=${result.created.join(',') || '-'} existing=${result.existing.join(',') || '-'}`);
    });

  pool
    .command('status')
    .description('which replica holds each shop, which shops are stale (dead replica) or free, and their buffer bytes')
    .requiredOption('--dir <pool>', 'pool directory')
    .option('--stale-ms <ms>', 'RS_STORE_IDENTITY_STALE_MS of the replicas', (value) => Number(value), 10_000)
    .action(async (options: { dir: string; staleMs: number }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const statuses = await poolStatus(options.dir, options.staleMs).catch((error: unknown) => {
        throw new CliError((error as Error).message, EXIT.USAGE);
      });
      if (globals.json) console.log(JSON.stringify(statuses, null, 2));
      else {
        for (const status of statuses) {
          const holder = status.state === 'free' || !status.holder ? '-' : `${status.holder.host} pid ${status.holder.pid} ${status.holder.url ?? ''}`.trim();
          console.log(`${status.store_id}  ${status.timezone}  ${status.credential}  ${status.state}  holder=${holder}  buffer_bytes=${status.buffer_bytes}`);
        }
        const held = statuses.filter((status) => status.state === 'held').length;
        console.log(`store-pool: identities=${statuses.length} held=${held} unserved=${statuses.length - held}`);
      }
      if (statuses.some((status) => status.state !== 'held')) process.exitCode = EXIT.PROBLEM;
    });
}
