import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCentralConfig, startCentral, type Central } from '@retail-sync/central';
import { createLogger } from '@retail-sync/libs/log';
import { startStore, storeConfig, type RunningStore } from '@retail-sync/store';
import { REPO_ROOT } from '../../lib/stack.ts';
import { runCli } from '../index.ts';

// The whole path, in this process: a real store ships over gRPC to a real central (embedded), whose
// catalog lacks one product; its sales are dead-lettered; the operator uses the CLI over HTTP.
const dir = mkdtempSync(join(tmpdir(), 'rs-cli-dlq-'));
const catalogPath = join(dir, 'catalog.json');
const seed = JSON.parse(readFileSync(join(REPO_ROOT, 'data/seed/catalog.json'), 'utf8')) as { products: Array<{ sku: string }> };
const MISSING_SKU = 'eggs-12';
let central: Central;
let store: RunningStore;

function sale(receipt: string, sku: string) {
  return {
    terminal_id: 't1', receipt_no: receipt, occurred_at: '2026-03-08T09:15:00-05:00', type: 'sale', currency: 'USD', payment_method: 'card',
    lines: [{ sku, qty: 1, unit_price_minor: 399, discount_minor: 0 }], tax_minor: 32, total_minor: 431,
  };
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const storedSeqs = async () => (await central.orderStore.seqsForStore('nyc-001', 1, 100)).map((row) => row.seq).sort((a, b) => a - b);

beforeAll(async () => {
  writeFileSync(catalogPath, JSON.stringify({ ...seed, products: seed.products.filter((product) => product.sku !== MISSING_SKU) }));
  const logger = createLogger({ service: 'cli-dlq-test', level: 'silent' });
  central = await startCentral(
    loadCentralConfig({ RS_DATA_DIR: join(dir, 'data'), RS_ADMIN_PORT: '0', RS_GRPC_PORT: '0', RS_CATALOG_PATH: catalogPath, RS_WORKER_BACKOFF_MS: '0', RS_WORKER_ATTEMPTS: '1' }),
    { logger },
  );
  store = await startStore(
    storeConfig({ RS_STORE_ID: 'nyc-001', RS_STORE_PORT: 0, RS_STORE_DATA_DIR: join(dir, 'store'), RS_CENTRAL_GRPC_ENDPOINTS: `127.0.0.1:${central.grpcPort}`, RS_SHIP_BACKOFF_BASE_MS: 20 }),
    { logger, processMetrics: false },
  );
  const response = await fetch(`${store.url}/v1/sales`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sales: [sale('R1', 'milk-1l'), sale('R2', MISSING_SKU), sale('R3', MISSING_SKU)] }),
  });
  expect(response.status).toBe(202);
  await until(async () => (await storedSeqs()).length === 1 && (await central.deadLetters.seqsForStore('nyc-001')).length === 2);
});

afterAll(async () => {
  await store.close();
  await central.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  const code = await runCli(['--admin-url', central.adminUrl!, ...args]);
  process.exitCode = undefined;
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('retail-sync dlq', () => {
  it('lists the letters of a reason, and shows one with its raw payload, reason, stage and attempts', async () => {
    const listed = await cli('dlq', 'list', '--reason', 'RS_ERR_UNKNOWN_PRODUCT');
    expect(listed.code).toBe(0);
    expect(listed.out.at(-1)).toBe('dlq: letters=2 reason=RS_ERR_UNKNOWN_PRODUCT');
    expect(listed.out[0]).toMatch(/RS_ERR_UNKNOWN_PRODUCT {2}stage=worker attempts=1 store=nyc-001#2 /);
    const id = listed.out[0]!.split(' ')[0]!;

    const shown = await cli('dlq', 'show', id);
    const letter = JSON.parse(shown.out.join('\n')) as { reason_code: string; stage: string; attempts: number; payload: string; reason: string };
    expect(letter).toMatchObject({ reason_code: 'RS_ERR_UNKNOWN_PRODUCT', stage: 'worker', attempts: 1 });
    expect(letter.reason).toContain(MISSING_SKU);
    expect(JSON.parse(letter.payload)).toMatchObject({ receipt_no: 'R2', lines: [{ sku: MISSING_SKU }] });

    expect((await cli('dlq', 'list', '--reason', 'not-a-code')).code).toBe(2);
    expect((await cli('dlq', 'show', 'no-such-letter')).code).toBe(2);
    expect((await cli('dlq', 'replay')).code).toBe(2);
  });

  it('replays by reason after the catalog is fixed: each sale stored once, and replaying again doubles nothing', async () => {
    writeFileSync(catalogPath, JSON.stringify(seed));
    expect((await fetch(`${central.adminUrl}/v1/admin/catalog/reload`, { method: 'POST' })).status).toBe(200);

    const replayed = await cli('dlq', 'replay', '--reason', 'RS_ERR_UNKNOWN_PRODUCT');
    expect(replayed.code).toBe(0);
    expect(replayed.out.at(-1)).toBe('dlq replay: reason=RS_ERR_UNKNOWN_PRODUCT matched=2 replayed=2 not_replayable=0');
    await until(async () => (await storedSeqs()).length === 3);

    const [first] = await central.deadLetters.list({ reasonCode: 'RS_ERR_UNKNOWN_PRODUCT' });
    expect((await cli('dlq', 'replay', first!.id)).out[0]).toMatch(/^replayed \S+ event_id=\S+ outcome=(accepted|duplicate)$/);
    expect((await cli('dlq', 'replay', '--reason', 'RS_ERR_UNKNOWN_PRODUCT')).out.at(-1)).toContain('matched=0 replayed=0');
    expect((await cli('dlq', 'list', '--reason', 'RS_ERR_UNKNOWN_PRODUCT')).out.at(-1)).toBe('dlq: letters=0 reason=RS_ERR_UNKNOWN_PRODUCT');
    await new Promise((resolve) => setTimeout(resolve, 500)); // give a wrongly doubled job time to land
    expect(await storedSeqs()).toEqual([1, 2, 3]);
    expect((await central.orderStore.salesForDate('2026-03-08')).filter((row) => row.store_id === 'nyc-001')).toHaveLength(3);
    expect((await central.queue.counts()).waiting).toBe(0);
  });
});
