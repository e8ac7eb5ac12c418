import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Central } from '@retail-sync/central';
import { createLogger } from '@retail-sync/libs/log';
import { startStore, storeConfig, type RunningStore } from '@retail-sync/store';
import { runCliCapturing, startCentralIssuingKeys } from '../test-harness.ts';

// Central as on production (derived dev keys off), the CLI issuing keys over HTTP, and real stores
// shipping over gRPC with what the CLI printed.
const dir = mkdtempSync(join(tmpdir(), 'rs-cli-credentials-'));
const logger = createLogger({ service: 'cli-credentials-test', level: 'silent' });
let central: Central;
const stores: RunningStore[] = [];

beforeAll(async () => {
  central = await startCentralIssuingKeys(dir, logger);
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await central.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function cli(...args: string[]): Promise<{ code: number; out: string[] }> {
  const { code, lines } = await runCliCapturing(central, ...args);
  return { code, out: lines };
}

async function shippingStore(name: string, env: Record<string, string>): Promise<RunningStore> {
  const store = await startStore(
    storeConfig({ RS_STORE_ID: 'nyc-001', RS_STORE_PORT: 0, RS_STORE_DATA_DIR: join(dir, name), RS_CENTRAL_GRPC_ENDPOINTS: `127.0.0.1:${central.grpcPort}`, RS_SHIP_AUTH_BACKOFF_MS: 100, ...env }),
    { logger, processMetrics: false },
  );
  stores.push(store);
  const sale = {
    terminal_id: 't1', receipt_no: `R-${name}`, occurred_at: '2026-03-08T09:15:00-05:00', type: 'sale', currency: 'USD', payment_method: 'card',
    lines: [{ sku: 'milk-1l', qty: 1, unit_price_minor: 149, discount_minor: 0 }], tax_minor: 0, total_minor: 149,
  };
  await fetch(`${store.url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sale) });
  return store;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('retail-sync credentials', () => {
  it('issues a key whose secret is printed once as store env lines; a store using it ships, one on the derived dev key is refused', async () => {
    const issued = await cli('credentials', 'issue', 'nyc-001');
    expect(issued.code).toBe(0);
    const env = Object.fromEntries(issued.out.filter((line) => line.startsWith('RS_')).map((line) => line.split('=', 2) as [string, string]));
    expect(env.RS_STORE_KEY_ID).toMatch(/^rsk_[0-9a-f]{16}$/);
    expect(env.RS_STORE_KEY).toMatch(/^rss_/);

    const good = await shippingStore('issued', env);
    const derived = await shippingStore('derived', {});
    await until(() => good.status().acked_seq === 1 && derived.status().shipper.state === 'unauthenticated');
    expect(derived.status().acked_seq).toBe(0);

    const listed = await cli('credentials', 'list', '--store', 'nyc-001');
    expect(listed.out.join('\n')).toContain(`${env.RS_STORE_KEY_ID}  nyc-001  active`);
    expect(listed.out.join('\n')).not.toContain(env.RS_STORE_KEY);
    expect((await cli('credentials', 'issue', 'ghost-001')).code).not.toBe(0);
  });

  it('rotates with an overlap for the old key, and revokes a key at once', async () => {
    const rotated = await cli('credentials', 'rotate', 'nyc-001');
    expect(rotated.out.some((line) => /^# older key rsk_[0-9a-f]{16} stays valid until \d{4}-/.test(line))).toBe(true);
    const newKeyId = rotated.out.find((line) => line.startsWith('RS_STORE_KEY_ID='))!.split('=')[1]!;
    const revoked = await cli('credentials', 'revoke', newKeyId);
    expect(revoked.out[0]).toMatch(new RegExp(`^revoked ${newKeyId} of store nyc-001 at \\d{4}-`));
    expect((await cli('credentials', 'list')).out.join('\n')).toContain(`${newKeyId}  nyc-001  revoked`);
    expect((await cli('credentials', 'revoke', 'rsk_0000000000000000')).code).toBe(2);
  });
});
