import { fileURLToPath } from 'node:url';
import { newEventId, newTraceId } from '@retail-sync/libs/domain';
import type { QueuedEvent } from '@retail-sync/libs/ports';
import { beforeAll, describe, expect, it } from 'vitest';
import { InMemoryCatalog } from '../catalog/index.ts';
import { saleFixture } from '../test-fixtures.ts';
import { buildStoredSale, customerHash } from './enrich.ts';

const SEED = fileURLToPath(new URL('../../../data/seed/catalog.json', import.meta.url));
const KEY = 'pii-test-key';

function eventOf(sale: unknown, overrides: Partial<QueuedEvent> = {}): QueuedEvent {
  return { event_id: newEventId(), store_id: 'nyc-001', seq: 7, received_at: '2026-03-09T03:31:00.000Z', trace_id: newTraceId(), sale_json: JSON.stringify(sale), ...overrides };
}

describe('buildStoredSale', () => {
  let catalog: InMemoryCatalog;
  beforeAll(async () => {
    catalog = await InMemoryCatalog.fromFile(SEED);
  });

  it("puts a DST-day sale on the store's business date and hour (America/New_York, spring forward)", () => {
    // 03:30 UTC on 9 March 2026 is 23:30 EDT (UTC−4 since 02:00 that day) on 8 March, not 22:30 EST.
    const stored = buildStoredSale(eventOf(saleFixture({ occurred_at: '2026-03-09T03:30:00Z' })), catalog, KEY);
    expect(stored).toMatchObject({ business_date: '2026-03-08', business_hour: 23, timezone: 'America/New_York', region: 'us-east' });
    const justAfterJump = buildStoredSale(eventOf(saleFixture({ occurred_at: '2026-03-08T07:05:00Z' })), catalog, KEY);
    expect(justAfterJump).toMatchObject({ business_date: '2026-03-08', business_hour: 3 });
  });

  it("dead-letters a sale in another currency than its store's, naming the field", () => {
    expect(() => buildStoredSale(eventOf(saleFixture({ currency: 'EUR' })), catalog, KEY)).toThrow(
      expect.objectContaining({ code: 'RS_ERR_CURRENCY_MISMATCH', retriable: false, message: "currency: store 'nyc-001' sells in USD, the sale says EUR" }),
    );
  });

  it('enriches lines from the catalog with net amounts and store-priced cost', () => {
    const stored = buildStoredSale(eventOf(saleFixture()), catalog, KEY);
    expect(stored.lines).toEqual([
      { line_no: 1, sku: 'milk-1l', qty: 2, unit_price_minor: 149, discount_minor: 0, net_minor: 298, category: 'grocery', unit_cost_minor: 95 },
      expect.objectContaining({ line_no: 2, sku: 'bread-rye', qty: 1, unit_price_minor: 299, discount_minor: 50, net_minor: 249 }),
    ]);
    expect(stored.occurred_at).toBe('2026-03-08T07:30:00.000Z');
  });

  it('replaces customer_id by its HMAC and never keeps the raw value', () => {
    const stored = buildStoredSale(eventOf(saleFixture({ customer_id: 'cust-4711' })), catalog, KEY);
    expect(stored.customer_hash).toBe(customerHash(KEY, 'cust-4711'));
    expect(stored.customer_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain('cust-4711');
    expect(buildStoredSale(eventOf(saleFixture({ customer_id: undefined })), catalog, KEY).customer_hash).toBeNull();
  });

  it('builds the same row again for the same event (replay-safe)', () => {
    const event = eventOf(saleFixture());
    expect(buildStoredSale(event, catalog, KEY)).toEqual(buildStoredSale(event, catalog, KEY));
  });

  it('rejects bad JSON as a non-retriable invalid event', () => {
    expect(() => buildStoredSale({ ...eventOf({}), sale_json: '{"oops"' }, catalog, KEY)).toThrow(
      expect.objectContaining({ code: 'RS_ERR_INVALID_EVENT', retriable: false, message: expect.stringMatching(/^sale_json: /) }),
    );
  });

  it('lists every invalid field with its rule', () => {
    const sale = saleFixture({ lines: [{ sku: 'milk-1l', qty: 0, unit_price_minor: 1.5 }], total_minor: 1 });
    expect(() => buildStoredSale(eventOf(sale), catalog, KEY)).toThrow(
      expect.objectContaining({ code: 'RS_ERR_INVALID_EVENT', retriable: false, message: expect.stringContaining('lines.0.qty: must be at least 1') }),
    );
  });

  it('names the unknown product and the unknown store', () => {
    const sale = saleFixture({ lines: [{ sku: 'milk-1l', qty: 1, unit_price_minor: 100 }, { sku: 'unobtainium', qty: 1, unit_price_minor: 100 }], tax_minor: 0, total_minor: 200 });
    expect(() => buildStoredSale(eventOf(sale), catalog, KEY)).toThrow(
      expect.objectContaining({ code: 'RS_ERR_UNKNOWN_PRODUCT', retriable: false, message: "lines.1.sku: unknown product 'unobtainium'" }),
    );
    expect(() => buildStoredSale(eventOf(saleFixture({ store_id: 'ghost-001' }), { store_id: 'ghost-001' }), catalog, KEY)).toThrow(
      expect.objectContaining({ code: 'RS_ERR_UNKNOWN_STORE', retriable: false }),
    );
  });

  it("rejects a sale whose store_id is not the event's store", () => {
    expect(() => buildStoredSale(eventOf(saleFixture({ store_id: 'bos-001' })), catalog, KEY)).toThrow(expect.objectContaining({ code: 'RS_ERR_STORE_MISMATCH' }));
  });
});
