import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Central } from '@retail-sync/central';
import { createLogger } from '@retail-sync/libs/log';
import { claimIdentity, configForIdentity, startStore, storeConfig, type ClaimedIdentity, type RunningStore } from '@retail-sync/store';
import { runCliCapturing, startCentralIssuingKeys } from '../test-harness.ts';

// Central as on production (derived dev keys off): `store-pool init --issue-keys` writes identities
// whose issued keys a store replica that claims them ships with.
const dir = mkdtempSync(join(tmpdir(), 'rs-cli-store-pool-'));
const pool = join(dir, 'pool');
const logger = createLogger({ service: 'cli-store-pool-test', level: 'silent' });
let central: Central;
const claims: ClaimedIdentity[] = [];
const stores: RunningStore[] = [];

beforeAll(async () => {
  central = await startCentralIssuingKeys(dir, logger);
});

afterAll(async () => {
  for (const store of stores) await store.close();
  for (const claimed of claims) await claimed.release();
  await central.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const { code, lines } = await runCliCapturing(central, ...args);
  return { code, out: lines.join('\n') };
}

describe('retail-sync store-pool', () => {
  it('provisions shops with issued keys that a claiming replica ships with, and reports who holds each shop', async () => {
    const init = await cli('store-pool', 'init', '--dir', pool, '--stores', 'nyc-001:America/New_York,lon-001:Europe/London', '--issue-keys');
    expect(init).toEqual({ code: 0, out: `store-pool: ${pool} created=nyc-001,lon-001 existing=-` });
    expect(readFileSync(join(pool, 'nyc-001', 'identity.json'), 'utf8')).not.toContain('rss_');
    expect((await cli('store-pool', 'init', '--dir', pool, '--stores', 'nyc-001:America/New_York', '--issue-keys')).out).toBe(`store-pool: ${pool} created=- existing=nyc-001`);

    const before = await cli('store-pool', 'status', '--dir', pool);
    expect(before.code).toBe(1);
    expect(before.out).toContain('nyc-001  America/New_York  issued  free  holder=-');
    expect(before.out).toContain('store-pool: identities=2 held=0 unserved=2');

    const claimed = await claimIdentity(pool, { staleMs: 10_000, waitMs: 0, logger, onLost: (error) => { throw error; } });
    claims.push(claimed);
    const store = await startStore(
      configForIdentity(storeConfig({ RS_STORE_PORT: 0, RS_CENTRAL_GRPC_ENDPOINTS: `127.0.0.1:${central.grpcPort}`, RS_SHIP_AUTH_BACKOFF_MS: 100 }), claimed),
      { logger, processMetrics: false },
    );
    stores.push(store);
    await claimed.announce(store.url);
    const sale = {
      terminal_id: 't1', receipt_no: 'R-pool', occurred_at: '2026-03-08T09:15:00-05:00', type: 'sale', currency: claimed.identity.store_id === 'lon-001' ? 'GBP' : 'USD', payment_method: 'card',
      lines: [{ sku: 'milk-1l', qty: 1, unit_price_minor: 149, discount_minor: 0 }], tax_minor: 0, total_minor: 149,
    };
    expect((await fetch(`${store.url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sale) })).status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (store.status().acked_seq < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(store.status()).toMatchObject({ store_id: claimed.identity.store_id, acked_seq: 1 });

    const after = await cli('store-pool', 'status', '--dir', pool);
    expect(after.out).toContain(`${claimed.identity.store_id}  ${claimed.identity.timezone}  issued  held  holder=`);
    expect(after.out).toContain(store.url);
    expect(after.out).toContain('store-pool: identities=2 held=1 unserved=1');
  });

  it('refuses a malformed --stores list as a usage error', async () => {
    const bad = await cli('store-pool', 'init', '--dir', pool, '--stores', 'nyc-001');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('IANA timezone');
  });
});
