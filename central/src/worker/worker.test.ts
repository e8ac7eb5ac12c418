import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedDeadLetters, EmbeddedOrderStore } from '@retail-sync/libs/embedded';
import { commonErrors } from '@retail-sync/libs/errors';
import { createLogger } from '@retail-sync/libs/log';
import type { OrderStorePort, QueueConsumer } from '@retail-sync/libs/ports';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryCatalog, type CatalogData } from '../catalog/index.ts';
import { EmbeddedQueue } from '../queue/embedded/index.ts';
import { eventually, queuedEventFixture } from '../queue/queue.contract.ts';
import { saleFixture } from '../test-fixtures.ts';
import { createDeadLetterReplayer, startWorker, type ReplayDeadLetter } from './index.ts';

const SEED = fileURLToPath(new URL('../../../data/seed/catalog.json', import.meta.url));
const logger = createLogger({ service: 'test', level: 'silent' });

describe('worker', () => {
  let dir: string;
  let catalogPath: string;
  let catalog: InMemoryCatalog;
  let queue: EmbeddedQueue;
  let orderStore: EmbeddedOrderStore;
  let deadLetters: EmbeddedDeadLetters;
  let consumer: QueueConsumer;
  let replay: ReplayDeadLetter;

  const start = (store: Pick<OrderStorePort, 'putSales'> = orderStore) => {
    consumer = startWorker({ queue, orderStore: store, deadLetters, catalog, piiKey: 'pii-test', logger, concurrency: 8, attempts: 3, backoffMs: 10 });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-worker-'));
    catalogPath = join(dir, 'catalog.json');
    writeFileSync(catalogPath, readFileSync(SEED));
    catalog = await InMemoryCatalog.fromFile(catalogPath);
    queue = await EmbeddedQueue.open({ path: join(dir, 'queue.duckdb'), pollIntervalMs: 5 });
    orderStore = await EmbeddedOrderStore.open(join(dir, 'orders.duckdb'));
    deadLetters = await EmbeddedDeadLetters.open(join(dir, 'orders.duckdb'));
    await orderStore.migrate();
    await deadLetters.migrate();
    replay = createDeadLetterReplayer({ queue, deadLetters, logger });
  });

  afterEach(async () => {
    await consumer?.close();
    await Promise.all([queue.close(), orderStore.close(), deadLetters.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const drained = async () => {
    const counts = await queue.counts();
    return counts.waiting + counts.active + counts.delayed === 0;
  };

  it('stores a valid DST-day sale under its New York business date', async () => {
    start();
    const event = queuedEventFixture({ seq: 1, sale_json: JSON.stringify(saleFixture({ occurred_at: '2026-03-09T03:30:00Z' })) });
    await queue.enqueue([event]);
    await eventually(async () => (await orderStore.salesForStoreDay('nyc-001', '2026-03-08')).length === 1);
    const [stored] = await orderStore.salesForStoreDay('nyc-001', '2026-03-08');
    expect(stored).toMatchObject({ event_id: event.event_id, business_date: '2026-03-08', business_hour: 23, total_minor: 587 });
    expect(await deadLetters.list()).toEqual([]);
  });

  it('never stores customer_id raw', async () => {
    start();
    await queue.enqueue([queuedEventFixture({ sale_json: JSON.stringify(saleFixture({ customer_id: 'cust-secret-42' })) })]);
    await eventually(async () => (await orderStore.salesForDate('2026-03-08')).length === 1);
    const [stored] = await orderStore.salesForDate('2026-03-08');
    expect(stored!.customer_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain('cust-secret-42');
  });

  it('dead-letters an unknown SKU with its reason, then stores it once replayed after the catalog gained the product', async () => {
    start();
    const sale = saleFixture({ lines: [{ sku: 'matcha-100g', qty: 1, unit_price_minor: 900 }], tax_minor: 0, total_minor: 900 });
    const event = queuedEventFixture({ seq: 3, sale_json: JSON.stringify(sale) });
    await queue.enqueue([event]);
    await eventually(async () => (await deadLetters.list()).length === 1 && (await drained()));
    const letter = await deadLetters.get(event.event_id);
    expect(letter).toMatchObject({
      stage: 'worker',
      reason_code: 'RS_ERR_UNKNOWN_PRODUCT',
      reason: "lines.0.sku: unknown product 'matcha-100g'",
      attempts: 1,
      payload: event.sale_json,
      store_id: 'nyc-001',
      seq: 3,
      replayed_at: null,
    });
    expect(await deadLetters.seqsForStore('nyc-001')).toEqual([3]);

    const data = JSON.parse(readFileSync(catalogPath, 'utf8')) as CatalogData;
    data.products.push({ sku: 'matcha-100g', category: 'grocery', list_price_minor: 900, unit_cost_minor: 400 });
    writeFileSync(catalogPath, JSON.stringify(data));
    await catalog.reload();

    expect(await replay(event.event_id)).toMatchObject({ id: event.event_id, outcome: 'accepted' });
    await eventually(async () => (await orderStore.salesForDate('2026-03-08')).length === 1 && (await drained()));
    expect((await deadLetters.get(event.event_id))?.replayed_at).not.toBeNull();
    expect(await deadLetters.seqsForStore('nyc-001')).toEqual([]);

    expect(await replay(event.event_id)).toMatchObject({ outcome: 'duplicate' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stored = await orderStore.seqsForStore('nyc-001', 1, 10);
    expect(stored).toEqual([{ seq: 3, event_id: event.event_id, business_date: '2026-03-08' }]);
    expect((await orderStore.salesForDate('2026-03-08'))[0]!.lines[0]).toMatchObject({ sku: 'matcha-100g', unit_cost_minor: 400 });
  });

  it('makes a replay that fails again count as unreplayed', async () => {
    start();
    const sale = saleFixture({ lines: [{ sku: 'nope-1', qty: 1, unit_price_minor: 10 }], tax_minor: 0, total_minor: 10 });
    const event = queuedEventFixture({ seq: 4, sale_json: JSON.stringify(sale) });
    await queue.enqueue([event]);
    await eventually(async () => (await deadLetters.list()).length === 1 && (await drained()));
    await replay(event.event_id);
    await eventually(async () => (await deadLetters.get(event.event_id))?.replayed_at === null && (await drained()));
    expect(await deadLetters.seqsForStore('nyc-001')).toEqual([4]);
  });

  it('dead-letters an invalid sale at once, naming the field', async () => {
    start();
    const event = queuedEventFixture({ sale_json: JSON.stringify(saleFixture({ payment_method: 'barter' as 'cash' })) });
    await queue.enqueue([event]);
    await eventually(async () => (await deadLetters.list()).length === 1);
    expect(await deadLetters.get(event.event_id)).toMatchObject({ reason_code: 'RS_ERR_INVALID_EVENT', attempts: 1, reason: expect.stringContaining('payment_method: must be one of') });
  });

  it('retries when the order store is down and stores the sale once it is back', async () => {
    let failures = 0;
    start({
      putSales: async (sales) => {
        if (failures < 2) {
          failures += 1;
          throw commonErrors.create('RS_ERR_DEPENDENCY_UNAVAILABLE', 'order store down');
        }
        await orderStore.putSales(sales);
      },
    });
    await queue.enqueue([queuedEventFixture({ sale_json: JSON.stringify(saleFixture()) })]);
    await eventually(async () => (await orderStore.salesForDate('2026-03-08')).length === 1 && (await drained()));
    expect(failures).toBe(2);
    expect(await deadLetters.list()).toEqual([]);
  });

  it('refuses to replay an unknown letter or one without a complete envelope', async () => {
    await expect(replay('nope')).rejects.toMatchObject({ code: 'RS_ERR_DEAD_LETTER_NOT_FOUND' });
    await deadLetters.put({
      id: 'ingest:nyc-001:abc', event_id: null, store_id: 'nyc-001', seq: null, trace_id: null, stage: 'ingest',
      reason_code: 'RS_ERR_INVALID_EVENT', reason: 'seq: must be a positive integer', attempts: 1, payload: '{}',
      received_at: null, created_at: new Date().toISOString(), replayed_at: null,
    });
    await expect(replay('ingest:nyc-001:abc')).rejects.toMatchObject({ code: 'RS_ERR_NOT_REPLAYABLE' });
    expect((await deadLetters.get('ingest:nyc-001:abc'))?.replayed_at).toBeNull();
  });
});
