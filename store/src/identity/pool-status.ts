/**
 * What an operator sees of a pool (`retail-sync store-pool status`): each identity, whether a live
 * replica holds it, which one and at what URL, and how many bytes its buffer holds. Read-only: it never
 * takes or breaks a lock.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BUFFER_DIR, LOCK_DIR, readClaim, readIdentity, type ClaimRecord } from './identity-file.ts';
import { identityDirs } from './pool.ts';

export interface IdentityStatus {
  store_id: string;
  timezone: string;
  credential: 'derived-dev' | 'issued';
  /** held: a live replica refreshes the lock; stale: its holder stopped refreshing (dead), claimable; free: no lock. */
  state: 'held' | 'stale' | 'free';
  holder: ClaimRecord | undefined;
  buffer_bytes: number;
}

export async function poolStatus(poolDir: string, staleMs: number): Promise<IdentityStatus[]> {
  const statuses: IdentityStatus[] = [];
  for (const dir of await identityDirs(poolDir)) {
    const identity = await readIdentity(dir);
    const lock = await stat(join(dir, LOCK_DIR)).catch(() => undefined);
    const state = !lock ? 'free' : lock.mtimeMs < Date.now() - staleMs ? 'stale' : 'held';
    statuses.push({
      store_id: identity.store_id,
      timezone: identity.timezone,
      credential: identity.credential.scheme,
      state,
      holder: await readClaim(dir),
      buffer_bytes: await directoryBytes(join(dir, BUFFER_DIR)),
    });
  }
  return statuses;
}

async function directoryBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const entry of entries) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await directoryBytes(path) : ((await stat(path).catch(() => undefined))?.size ?? 0);
  }
  return total;
}
