/**
 * One shop identity in a pool: the folder `<pool>/<store_id>/` holding `identity.json` (store id,
 * IANA timezone, credential reference), `buffer/` (that shop's disk buffer and receipt index),
 * `claim.lock` (the holder's lock directory) and `claim.json` (who holds it, for operators).
 *
 * Invariant: an identity folder appears in the pool only complete — provisioning writes it under a
 * dot-name and renames it into place, so a scan never reads a half-written identity. Secrets are never
 * in identity.json: an issued key lives in a 0600 file it names (or a mounted secret's path).
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { STORE_KEY_ID_PATTERN, storeId } from '@retail-sync/libs/domain';
import { storeErrors } from '../errors.ts';

export const IDENTITY_FILE = 'identity.json';
export const BUFFER_DIR = 'buffer';
export const LOCK_DIR = 'claim.lock';
export const CLAIM_FILE = 'claim.json';

const ianaTimezone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'must be an IANA timezone such as America/New_York' },
);

export const identitySchema = z.object({
  store_id: storeId,
  timezone: ianaTimezone,
  /** derived-dev: the key derived from RS_STORE_KEY_SECRET (central with RS_DEV_DERIVED_KEYS); issued: an issued key whose secret is in secret_file. */
  credential: z.discriminatedUnion('scheme', [
    z.object({ scheme: z.literal('derived-dev') }),
    z.object({
      scheme: z.literal('issued'),
      key_id: z.string().regex(STORE_KEY_ID_PATTERN),
      /** Relative to the identity folder, or absolute (a mounted secret). */
      secret_file: z.string().min(1),
    }),
  ]),
});

export type StoreIdentity = z.infer<typeof identitySchema>;

/** Who holds an identity; rewritten by each claimant, read back to settle a contested claim. */
export interface ClaimRecord {
  token: string;
  store_id: string;
  host: string;
  pid: number;
  claimed_at: string;
  /** Intake URL of the holder, once it listens. */
  url?: string;
  /** Set when the holder gave the identity back cleanly. */
  released_at?: string;
}

/** Reads and validates `<dir>/identity.json`; RS_ERR_IDENTITY_POOL_INVALID names the file and each bad field. */
export async function readIdentity(dir: string): Promise<StoreIdentity> {
  const file = join(dir, IDENTITY_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = identitySchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `${file}: ${problems.join('; ')}`);
  }
  if (parsed.data.store_id !== basename(dir)) {
    throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `${file}: store_id ${parsed.data.store_id} does not match its folder name`);
  }
  return parsed.data;
}

/** The issued secret an identity names, read from its file (trimmed); undefined for derived-dev. */
export async function readIdentitySecret(dir: string, identity: StoreIdentity): Promise<{ keyId: string; secret: string } | undefined> {
  if (identity.credential.scheme !== 'issued') return undefined;
  const path = isAbsolute(identity.credential.secret_file) ? identity.credential.secret_file : join(dir, identity.credential.secret_file);
  try {
    return { keyId: identity.credential.key_id, secret: (await readFile(path, 'utf8')).trim() };
  } catch (error) {
    throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `${join(dir, IDENTITY_FILE)}: cannot read secret_file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export async function readClaim(dir: string): Promise<ClaimRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, CLAIM_FILE), 'utf8')) as ClaimRecord;
  } catch {
    return undefined;
  }
}
