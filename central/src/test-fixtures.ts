/** Fixtures for central's tests: a valid sale and the wire event a store would ship for it. */
import { newEventId, newTraceId, type SaleInput } from '@retail-sync/libs/domain';
import type { IngestEvent } from './ingest/ingest-core.ts';

export function saleFixture(overrides: Partial<SaleInput> = {}): SaleInput {
  return {
    store_id: 'nyc-001',
    terminal_id: 't-01',
    receipt_no: 'r-1001',
    occurred_at: '2026-03-08T03:30:00-04:00',
    type: 'sale',
    currency: 'USD',
    lines: [
      { sku: 'milk-1l', qty: 2, unit_price_minor: 149, discount_minor: 0 },
      { sku: 'bread-rye', qty: 1, unit_price_minor: 299, discount_minor: 50 },
    ],
    tax_minor: 40,
    total_minor: 2 * 149 + 299 - 50 + 40,
    payment_method: 'card',
    customer_id: 'cust-4711',
    ...overrides,
  };
}

export function wireEventFixture(overrides: Partial<IngestEvent> = {}, sale: unknown = saleFixture()): IngestEvent {
  return {
    event_id: newEventId(),
    store_id: 'nyc-001',
    seq: 1,
    received_at: new Date().toISOString(),
    trace_id: newTraceId(),
    sale_json: Buffer.from(JSON.stringify(sale)),
    ...overrides,
  };
}
