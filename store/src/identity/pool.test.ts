import nodeFs from 'node:fs';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RetailSyncError } from '@retail-sync/libs/errors';
import { captureLogger, makeTempDir } from '../testing/capture-logger.ts';
import { CLAIM_FILE, LOCK_DIR, type ClaimRecord } from './identity-file.ts';
import { claimIdentity, type ClaimedIdentity, type ClaimOptions } from './pool.ts';
import { provisionPool } from './provision.ts';

const STALE_MS = 2_000; // proper-lockfile's minimum; the holder refreshes every second

let pool: string;
let cleanup: () => Promise<void>;
const held: ClaimedIdentity[] = [];
const lost: RetailSyncError[] = [];

function options(overrides: Partial<ClaimOptions> = {}): ClaimOptions {
  return { staleMs: STALE_MS, waitMs: 0, logger: captureLogger().logger, onLost: (error) => lost.push(error), ...overrides };
}

async function claim(overrides: Partial<ClaimOptions> = {}): Promise<ClaimedIdentity> {
  const claimed = await claimIdentity(pool, options(overrides));
  held.push(claimed);
  return claimed;
}

/** What a replica killed with kill -9 leaves behind: its lock directory, no longer refreshed. */
async function leaveDeadHolderLock(storeId: string, ageMs: number): Promise<void> {
  const lockPath = join(pool, storeId, LOCK_DIR);
  await mkdir(lockPath);
  const mtime = new Date(Date.now() - ageMs);
  await utimes(lockPath, mtime, mtime);
  await writeFile(join(pool, storeId, CLAIM_FILE), JSON.stringify({ token: 'dead', store_id: storeId, host: 'gone', pid: 1, claimed_at: mtime.toISOString() }));
}

beforeEach(async () => {
  ({ dir: pool, cleanup } = await makeTempDir('identity-pool'));
  lost.length = 0;
});

afterEach(async () => {
  await Promise.all(held.splice(0).map((claimed) => claimed.release()));
  await cleanup();
});

describe('claimIdentity', () => {
  it('claims one identity with its store id, timezone, buffer directory and a claim record', async () => {
    await provisionPool(pool, [{ storeId: 'nyc-001', timezone: 'America/New_York' }]);
    const claimed = await claim();
    expect(claimed.identity).toEqual({ store_id: 'nyc-001', timezone: 'America/New_York', credential: { scheme: 'derived-dev' } });
    expect(claimed.bufferDir).toBe(join(pool, 'nyc-001', 'buffer'));
    expect(claimed.issuedKey).toBeUndefined();
    const record = JSON.parse(await readFile(join(pool, 'nyc-001', CLAIM_FILE), 'utf8')) as ClaimRecord;
    expect(record).toMatchObject({ store_id: 'nyc-001', pid: process.pid });
    await claimed.announce('http://store-3:5001');
    expect((JSON.parse(await readFile(join(pool, 'nyc-001', CLAIM_FILE), 'utf8')) as ClaimRecord).url).toBe('http://store-3:5001');
  });

  it('gives concurrent claimants different identities and refuses one more with RS_ERR_IDENTITY_POOL_EXHAUSTED naming the pool', async () => {
    await provisionPool(pool, [
      { storeId: 'nyc-001', timezone: 'America/New_York' },
      { storeId: 'lon-001', timezone: 'Europe/London' },
    ]);
    const claims = await Promise.all([claim(), claim()]);
    expect(claims.map((claimed) => claimed.identity.store_id).sort()).toEqual(['lon-001', 'nyc-001']);
    const refused = await claim().catch((error: unknown) => error as RetailSyncError);
    expect(refused).toMatchObject({ code: 'RS_ERR_IDENTITY_POOL_EXHAUSTED' });
    expect((refused as Error).message).toContain(pool);
    expect(lost).toEqual([]);
  });

  it('frees the identity on release, so the next claimant gets it', async () => {
    await provisionPool(pool, [{ storeId: 'nyc-001', timezone: 'America/New_York' }]);
    const first = await claim();
    await first.release();
    await expect(stat(join(pool, 'nyc-001', LOCK_DIR))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((JSON.parse(await readFile(join(pool, 'nyc-001', CLAIM_FILE), 'utf8')) as ClaimRecord).released_at).toBeDefined();
    const second = await claim();
    expect(second.identity.store_id).toBe('nyc-001');
    expect(lost).toEqual([]);
  });

  it('does not take an identity whose holder still refreshes its lock, however long a claimant waits', async () => {
    await provisionPool(pool, [{ storeId: 'nyc-001', timezone: 'America/New_York' }]);
    await claim();
    // Longer than the stale window: a live holder's refreshes keep it held.
    await expect(claim({ waitMs: STALE_MS + 1_500 })).rejects.toMatchObject({ code: 'RS_ERR_IDENTITY_POOL_EXHAUSTED' });
    expect(lost).toEqual([]);
  });

  it("takes over a dead replica's identity once its lock is stale, waiting for it when the lock is still fresh", async () => {
    await provisionPool(pool, [{ storeId: 'nyc-001', timezone: 'America/New_York' }]);
    await leaveDeadHolderLock('nyc-001', 500);
    await expect(claim()).rejects.toMatchObject({ code: 'RS_ERR_IDENTITY_POOL_EXHAUSTED' });
    const claimed = await claim({ waitMs: 4 * STALE_MS });
    expect(claimed.identity.store_id).toBe('nyc-001');
    expect((JSON.parse(await readFile(join(pool, 'nyc-001', CLAIM_FILE), 'utf8')) as ClaimRecord).token).not.toBe('dead');
  });

  it('lets exactly one of two claimants keep a stale identity both removed at once, without removing the winner lock', async () => {
    await provisionPool(pool, [{ storeId: 'nyc-001', timezone: 'America/New_York' }]);
    await leaveDeadHolderLock('nyc-001', 60_000);
    const lockPath = join(pool, 'nyc-001', LOCK_DIR);
    // Force the race proper-lockfile's stale takeover allows: B sees the dead lock stale, A replaces it
    // with its own lock and records its claim, then B removes A's fresh lock and takes it.
    let bSawDeadLock!: () => void;
    const bStatDone = new Promise<void>((resolve) => (bSawDeadLock = resolve));
    const fsA = { ...nodeFs, rmdir: (path: string, callback: nodeFs.NoParamCallback) => void bStatDone.then(() => nodeFs.rmdir(path, callback)) };
    const fsB = {
      ...nodeFs,
      stat: (path: string, callback: (error: NodeJS.ErrnoException | null, stats: nodeFs.Stats) => void) =>
        nodeFs.stat(path, (error, stats) => {
          if (path === lockPath) bSawDeadLock();
          callback(error, stats);
        }),
      rmdir: (path: string, callback: nodeFs.NoParamCallback) =>
        void (async () => {
          while (!(await readFile(join(pool, 'nyc-001', CLAIM_FILE), 'utf8')).includes(`"pid":${process.pid}`)) await sleep(5);
          nodeFs.rmdir(path, callback);
        })(),
    };
    const logA = captureLogger();
    const [a, b] = await Promise.allSettled([claim({ fs: fsA as typeof nodeFs, logger: logA.logger }), claim({ fs: fsB as typeof nodeFs })]);
    expect(a).toMatchObject({ status: 'rejected', reason: { code: 'RS_ERR_IDENTITY_POOL_EXHAUSTED' } });
    expect(logA.lines.map((line) => line.msg)).toContain('identity claimed by another replica at the same moment; trying the next');
    expect(b.status).toBe('fulfilled');
    // The loser backed off without removing the winner's lock, and the winner keeps refreshing it.
    await sleep(STALE_MS);
    expect((await stat(lockPath)).mtimeMs).toBeGreaterThan(Date.now() - STALE_MS);
    expect(lost).toEqual([]);
  });

  it('tells its holder at once when the lock is taken from under it (RS_ERR_IDENTITY_LOST)', async () => {
    await provisionPool(pool, [{ storeId: 'nyc-001', timezone: 'America/New_York' }]);
    await claim();
    await rm(join(pool, 'nyc-001', LOCK_DIR), { recursive: true });
    while (lost.length === 0) await sleep(50);
    expect(lost[0]).toMatchObject({ code: 'RS_ERR_IDENTITY_LOST' });
    expect(lost[0]!.message).toContain('nyc-001');
  });

  it('reads an issued key from the secret file the identity names', async () => {
    await provisionPool(pool, [{ storeId: 'nyc-001', timezone: 'America/New_York', issuedKey: { keyId: 'rsk_0123456789abcdef', secret: 'rss_issued-secret-value' } }]);
    const claimed = await claim();
    expect(claimed.issuedKey).toEqual({ keyId: 'rsk_0123456789abcdef', secret: 'rss_issued-secret-value' });
    expect((await stat(join(pool, 'nyc-001', 'store-key'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a missing pool, an empty pool and a broken identity.json with RS_ERR_IDENTITY_POOL_INVALID', async () => {
    await expect(claimIdentity(join(pool, 'missing'), options())).rejects.toMatchObject({ code: 'RS_ERR_IDENTITY_POOL_INVALID' });
    await expect(claim()).rejects.toMatchObject({ code: 'RS_ERR_IDENTITY_POOL_INVALID', message: expect.stringContaining('holds no identity') });
    await mkdir(join(pool, 'nyc-001'));
    await writeFile(join(pool, 'nyc-001', 'identity.json'), JSON.stringify({ store_id: 'nyc-001', timezone: 'Mars/Olympus', credential: { scheme: 'derived-dev' } }));
    await expect(claim()).rejects.toMatchObject({ code: 'RS_ERR_IDENTITY_POOL_INVALID', message: expect.stringContaining('timezone') });
  });
});
