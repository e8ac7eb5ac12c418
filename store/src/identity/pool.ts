/**
 * Claiming one shop identity from a pool, so that store replicas started from one image
 * (`docker compose up --scale store=N`) each serve a different shop.
 *
 * Invariant: while a claim is held, no other process holds the same identity, so two replicas never
 * write one buffer. The claim is a proper-lockfile lock directory (`mkdir` is atomic, also on shared
 * volumes) whose mtime the holder refreshes every stale/3; a lock not refreshed for RS_STORE_IDENTITY_STALE_MS
 * belongs to a dead replica (kill -9, lost host) and may be taken over, and the new holder drains that
 * shop's buffer. Taking over a stale lock is stat → rmdir → mkdir, and two claimants that both saw it
 * stale can each end up "holding" it; so every claim then writes its token to claim.json, waits
 * stale/5 and keeps the identity only if its token is still there (Fischer's timed mutual exclusion:
 * the last writer wins, the others back off without touching the lock). A holder whose lock is later
 * taken over or cannot be refreshed hears onLost and must stop at once.
 */
import nodeFs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { readdir, rename, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import type { Logger } from '@retail-sync/libs/log';
import type { RetailSyncError } from '@retail-sync/libs/errors';
import { storeErrors } from '../errors.ts';
import { BUFFER_DIR, CLAIM_FILE, IDENTITY_FILE, LOCK_DIR, readClaim, readIdentity, readIdentitySecret, type ClaimRecord, type StoreIdentity } from './identity-file.ts';

export interface ClaimOptions {
  /** RS_STORE_IDENTITY_STALE_MS: a lock older than this belongs to a dead replica. */
  staleMs: number;
  /** RS_STORE_IDENTITY_WAIT_MS: how long to keep looking while every identity is held. */
  waitMs: number;
  logger: Logger;
  /** Called once if the claim is lost while held (taken over, refresh failed); the caller must stop writing at once. */
  onLost: (error: RetailSyncError) => void;
  /** File system under the lock (tests inject delays to force a contested takeover). @default node:fs */
  fs?: typeof nodeFs;
}

export interface ClaimedIdentity {
  identity: StoreIdentity;
  /** The identity folder, `<pool>/<store_id>`. */
  dir: string;
  /** The shop's buffer directory, `<pool>/<store_id>/buffer`. */
  bufferDir: string;
  /** The issued key the identity names; undefined for derived-dev. */
  issuedKey: { keyId: string; secret: string } | undefined;
  /** Records the intake URL in claim.json, for `retail-sync store-pool status`. */
  announce(url: string): Promise<void>;
  /** Gives the identity back (after the store closed its buffer). Idempotent. */
  release(): Promise<void>;
}

/** Claims one free identity of `poolDir`, waiting up to waitMs while all are held. */
export async function claimIdentity(poolDir: string, options: ClaimOptions): Promise<ClaimedIdentity> {
  const deadline = Date.now() + options.waitMs;
  let waitingLogged = false;
  for (;;) {
    const dirs = shuffle(await identityDirs(poolDir));
    for (const dir of dirs) {
      const identity = await readIdentity(dir);
      const claimed = await tryClaim(dir, identity, options);
      if (claimed) return claimed;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const holders = await Promise.all(dirs.map(async (dir) => describeHolder(await readClaim(dir))));
      throw storeErrors.create(
        'RS_ERR_IDENTITY_POOL_EXHAUSTED',
        `identity pool ${poolDir}: all ${dirs.length} identities are held (${holders.join(', ')}); run fewer store replicas or add identities with retail-sync store-pool init`,
        { details: { pool: poolDir, holders } },
      );
    }
    if (!waitingLogged) options.logger.warn({ pool: poolDir, identities: dirs.length, wait_ms: options.waitMs }, 'every identity is held; waiting for one to free up');
    waitingLogged = true;
    await sleep(Math.min(remaining, Math.max(250, options.staleMs / 4)));
  }
}

/** The identity folders of a pool: every non-dot folder holding identity.json. */
export async function identityDirs(poolDir: string): Promise<string[]> {
  let entries: nodeFs.Dirent[];
  try {
    entries = await readdir(poolDir, { withFileTypes: true });
  } catch (error) {
    throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `identity pool ${poolDir} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const dirs: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const exists = await stat(join(poolDir, entry.name, IDENTITY_FILE)).then(() => true, () => false);
    if (exists) dirs.push(join(poolDir, entry.name));
  }
  if (dirs.length === 0) throw storeErrors.create('RS_ERR_IDENTITY_POOL_INVALID', `identity pool ${poolDir} holds no identity; provision it with retail-sync store-pool init`);
  return dirs.sort();
}

/** One attempt at one identity: undefined when a live replica holds it or another claimant won it. */
async function tryClaim(dir: string, identity: StoreIdentity, options: ClaimOptions): Promise<ClaimedIdentity | undefined> {
  const token = randomUUID();
  const lockPath = join(dir, LOCK_DIR);
  let abandoned = false;
  let released = false;
  // A claim that lost the settle must stop refreshing without removing the winner's lock directory.
  const base = options.fs ?? nodeFs;
  const lockFs = {
    ...base,
    rmdir: (path: string, callback: (error: NodeJS.ErrnoException | null) => void) => (abandoned ? callback(null) : base.rmdir(path, callback)),
    rmdirSync: (path: string) => (abandoned ? undefined : base.rmdirSync(path)),
  };
  let releaseLock: () => Promise<void>;
  try {
    // proper-lockfile keys its in-process registry by this path; one per claim keeps claims apart.
    releaseLock = await lockfile.lock(join(dir, `claim-${token}`), {
      lockfilePath: lockPath,
      realpath: false,
      stale: options.staleMs,
      update: Math.floor(options.staleMs / 3),
      fs: lockFs,
      onCompromised: (error) => {
        if (abandoned || released) return;
        options.onLost(
          storeErrors.create('RS_ERR_IDENTITY_LOST', `identity ${identity.store_id} in ${dir}: lock lost (${error.message}); stopping so that two replicas never write one buffer`, { cause: error }),
        );
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') return undefined;
    throw error;
  }

  const claim: ClaimRecord = { token, store_id: identity.store_id, host: hostname(), pid: process.pid, claimed_at: new Date().toISOString() };
  await writeClaim(dir, claim);
  await sleep(Math.floor(options.staleMs / 5));
  const settled = await readClaim(dir);
  const lockExists = await stat(lockPath).then(() => true, () => false);
  if (settled?.token !== token || !lockExists) {
    abandoned = true;
    await releaseLock().catch(() => undefined);
    options.logger.info({ store_id: identity.store_id, winner: describeHolder(settled) }, 'identity claimed by another replica at the same moment; trying the next');
    return undefined;
  }

  let issuedKey: ClaimedIdentity['issuedKey'];
  try {
    issuedKey = await readIdentitySecret(dir, identity);
  } catch (error) {
    released = true;
    await releaseLock().catch(() => undefined);
    throw error;
  }
  options.logger.info({ store_id: identity.store_id, timezone: identity.timezone, identity_dir: dir }, `claimed identity ${identity.store_id}`);
  let releasing: Promise<void> | undefined;
  return {
    identity,
    dir,
    bufferDir: join(dir, BUFFER_DIR),
    issuedKey,
    announce: async (url) => {
      claim.url = url;
      await writeClaim(dir, claim);
    },
    release: () =>
      (releasing ??= (async () => {
        released = true;
        await writeClaim(dir, { ...claim, released_at: new Date().toISOString() }).catch(() => undefined);
        await releaseLock().catch((error: unknown) => options.logger.warn({ err: error, store_id: identity.store_id }, 'identity lock already gone at release'));
      })()),
  };
}

/** claim.json is replaced whole (write + rename), so a reader never sees half a record. */
async function writeClaim(dir: string, claim: ClaimRecord): Promise<void> {
  const temporary = join(dir, `.${CLAIM_FILE}.${claim.token}.${process.pid}.tmp`);
  await writeFile(temporary, `${JSON.stringify(claim)}\n`);
  await rename(temporary, join(dir, CLAIM_FILE));
}

function describeHolder(claim: ClaimRecord | undefined): string {
  return claim ? `${claim.store_id} by ${claim.host} pid ${claim.pid}` : 'unknown holder';
}

/** Random order, so replicas starting together try different identities first. */
function shuffle<T>(items: T[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
