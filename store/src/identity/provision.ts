/**
 * Provisioning an identity pool: one folder per shop with identity.json, an empty buffer/ and, for an
 * issued key, its secret in a 0600 file. Used by `retail-sync store-pool init` and by the compose
 * init step (provision-bin.ts).
 *
 * Invariant: idempotent and safe to run while replicas use the pool — an identity is built under a
 * dot-name and renamed into place, and an existing identity (and its buffer) is never touched.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { storeId as storeIdSchema } from '@retail-sync/libs/domain';
import { storeErrors } from '../errors.ts';
import { BUFFER_DIR, IDENTITY_FILE, identitySchema, readIdentity, type StoreIdentity } from './identity-file.ts';

export const SECRET_FILE = 'store-key';

export interface IdentitySpec {
  storeId: string;
  timezone: string;
  /** An issued key (from `retail-sync credentials issue`); without one the shop uses the derived dev key. */
  issuedKey?: { keyId: string; secret: string };
}

export interface ProvisionResult {
  created: string[];
  /** Already in the pool and left as they are. */
  existing: string[];
}

/** Parses `nyc-001:America/New_York,lon-001:Europe/London`; RS_ERR_IDENTITY_POOL_INVALID names a bad entry. */
export function parseIdentitySpecs(list: string): IdentitySpec[] {
  const specs = list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [storeId = '', timezone = ''] = entry.split(/:(.*)/s);
      const parsed = identitySchema.safeParse({ store_id: storeId, timezone, credential: { scheme: 'derived-dev' } });
      if (!parsed.success || !storeIdSchema.safeParse(storeId).success) {
        throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `"${entry}" is not <store_id>:<IANA timezone> (${parsed.error?.issues.map((issue) => issue.message).join('; ') ?? 'bad store id'})`);
      }
      return { storeId, timezone };
    });
  if (specs.length === 0) throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', 'no store given (expected <store_id>:<IANA timezone>,…)');
  const ids = specs.map((spec) => spec.storeId);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `store ${repeated} is listed twice`);
  return specs;
}

/** Writes every missing identity of `specs` into `poolDir`; existing ones must agree on the timezone. */
export async function provisionPool(poolDir: string, specs: IdentitySpec[]): Promise<ProvisionResult> {
  await mkdir(poolDir, { recursive: true });
  const result: ProvisionResult = { created: [], existing: [] };
  for (const spec of specs) {
    const target = join(poolDir, spec.storeId);
    const staging = join(poolDir, `.new-${spec.storeId}-${randomUUID()}`);
    const identity: StoreIdentity = {
      store_id: spec.storeId,
      timezone: spec.timezone,
      credential: spec.issuedKey ? { scheme: 'issued', key_id: spec.issuedKey.keyId, secret_file: SECRET_FILE } : { scheme: 'derived-dev' },
    };
    await mkdir(join(staging, BUFFER_DIR), { recursive: true });
    if (spec.issuedKey) await writeFile(join(staging, SECRET_FILE), `${spec.issuedKey.secret}\n`, { mode: 0o600 });
    await writeFile(join(staging, IDENTITY_FILE), `${JSON.stringify(identity, null, 2)}\n`);
    try {
      await rename(staging, target);
      result.created.push(spec.storeId);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error;
      const existing = await readIdentity(target);
      if (existing.timezone !== spec.timezone) {
        throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `${target} already exists with timezone ${existing.timezone}, not ${spec.timezone}; it was left as it is`);
      }
      result.existing.push(spec.storeId);
    }
  }
  return result;
}
