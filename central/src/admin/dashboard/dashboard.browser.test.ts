/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core; scripts/ensure-chromium
 * installs it): central runs in this process on the embedded adapters, a store ships three sales over
 * gRPC, one with a SKU the catalog lacks. The operator sees the dead letter, inspects it, adds the
 * product to the catalog, reloads it and replays: the sale is stored and the letter shows as replayed.
 * The DAG runner is a fake HTTP server (central never imports dags) answering runs and reconciliation.
 * Leaves a screenshot in data/screenshots/dashboard.png.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeKeyFor } from '@retail-sync/libs/domain';
import { createLogger } from '@retail-sync/libs/log';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCentralConfig, startCentral, type Central } from '../../index.ts';
import { openShipStream } from '../../ingest/grpc/test-client.ts';
import { eventually } from '../../queue/queue.contract.ts';
import { saleFixture, wireEventFixture } from '../../test-fixtures.ts';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const SCREENSHOT = join(REPO, 'data/screenshots/dashboard.png');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MISSING_SKU = 'matcha-tin-80g';
const DAY = '2026-03-08';

function fakeDagRunner(): FastifyInstance {
  const app = Fastify({ logger: false });
  const run = (job_id: string, status: string, minutesAgo: number, tookMs: number) => {
    const started = Date.now() - minutesAgo * 60_000;
    return { run_id: `${job_id}-${minutesAgo}`, job_id, partition: DAY, status, started_at: new Date(started).toISOString(), finished_at: new Date(started + tookMs).toISOString(), runner_id: 'runner-1', tasks: [{ task: job_id === 'sales_rollups' ? 'load_facts' : 'check', status }] };
  };
  app.get('/v1/dags/runs', async () => ({ runs: [run('reconcile_daily', 'succeeded', 1, 420), run('sales_rollups', 'succeeded', 2, 1830)] }));
  app.get('/v1/dags/reconcile', async () => ({
    date: DAY,
    summary: { date: DAY, stores: 1, match: 1, mismatched: 0, seq_gaps: 0 },
    stores: [{ business_date: DAY, store_id: 'nyc-001', order_sales: 2, order_total_minor: 1174, warehouse_sales: 2, warehouse_total_minor: 1174, seq_gaps: 0, status: 'match' }],
  }));
  return app;
}

describe('operators dashboard (headless Chromium)', () => {
  let dir: string;
  let catalogPath: string;
  let dags: FastifyInstance;
  let central: Central;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-dashboard-'));
    catalogPath = join(dir, 'catalog.json');
    copyFileSync(join(REPO, 'data/seed/catalog.json'), catalogPath);
    dags = fakeDagRunner();
    await dags.listen({ host: '127.0.0.1', port: 0 });
    const dagsAddress = dags.server.address() as { port: number };
    central = await startCentral(
      loadCentralConfig({
        RS_DATA_DIR: dir, RS_ADMIN_PORT: '0', RS_GRPC_PORT: '0', RS_CATALOG_PATH: catalogPath, RS_DAGS_URL: `http://127.0.0.1:${dagsAddress.port}`,
        RS_WORKER_BACKOFF_MS: '10', RS_QUEUE_POLL_MS: '5',
      }),
      { logger: createLogger({ service: 'central-test', level: 'silent' }) },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await central?.close();
    await dags?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists a dead letter, replays it after the catalog is fixed, and shows it stored', async () => {
    const unknownSku = saleFixture({ receipt_no: 'r-1003', lines: [{ sku: MISSING_SKU, qty: 1, unit_price_minor: 899, discount_minor: 0 }], tax_minor: 72, total_minor: 971 });
    const events = [wireEventFixture({ seq: 1 }), wireEventFixture({ seq: 2 }, saleFixture({ receipt_no: 'r-1002' })), wireEventFixture({ seq: 3 }, unknownSku)];
    const stream = openShipStream(central.grpcPort!, { storeId: 'nyc-001', key: storeKeyFor(loadCentralConfig({}).RS_STORE_KEY_SECRET, 'nyc-001') });
    const ack = await stream.send({ batch_id: 'b-1', events: events.map((event) => ({ ...event, sale_json: Buffer.from(event.sale_json) })), high_water_seq: 3 });
    expect(ack.acks.map((a) => a.outcome)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    stream.end();
    stream.close();
    const letterId = events[2]!.event_id;
    await eventually(async () => (await central.deadLetters.get(letterId)) !== undefined, 10_000);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${central.adminUrl}/dashboard?date=${DAY}`);
    const row = page.locator(`tr[data-letter-id="${letterId}"]`);
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toContain('RS_ERR_UNKNOWN_PRODUCT');
    expect(await row.textContent()).toContain('waiting');
    await expect.poll(() => page.locator('#stores tbody').textContent(), { timeout: 10_000 }).toContain('nyc-001');
    await expect.poll(() => page.locator('#chip-reconcile').textContent(), { timeout: 10_000 }).toContain('all match');

    await row.getByRole('button', { name: 'Inspect' }).click();
    await expect.poll(() => page.locator('#inspect-body').textContent(), { timeout: 10_000 }).toContain(MISSING_SKU);
    await page.getByRole('button', { name: 'Close' }).click();

    const catalog = JSON.parse(readFileSync(catalogPath, 'utf8')) as { products: unknown[] };
    catalog.products.push({ sku: MISSING_SKU, category: 'grocery', list_price_minor: 899, unit_cost_minor: 510 });
    writeFileSync(catalogPath, JSON.stringify(catalog));
    await page.getByRole('button', { name: 'Reload catalog' }).click();
    await expect.poll(() => page.locator('#toast').textContent(), { timeout: 10_000 }).toBe('catalog reloaded');

    await row.getByRole('button', { name: 'Replay' }).click();
    await expect.poll(() => row.locator('td.status').textContent(), { timeout: 10_000 }).toContain('replayed');
    await eventually(async () => (await central.orderStore.seqsForStore('nyc-001', 3, 3)).length === 1, 10_000);
    expect((await central.deadLetters.get(letterId))!.replayed_at).not.toBeNull();
    await expect.poll(() => page.locator('#stores tr[data-store-id="nyc-001"] td').nth(3).textContent(), { timeout: 10_000 }).toBe('3');

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });
});
