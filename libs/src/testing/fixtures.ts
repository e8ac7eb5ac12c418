/** Builders for contract tests: valid values with just the fields a test cares about overridden. */
import type { StoredSale } from '../domain/event.ts';
import { newEventId, newTraceId } from '../domain/ids.ts';
import type { DeadLetter } from '../ports/dead-letter.ts';

/** What a contract factory returns: a fresh adapter and how to dispose of everything it created. */
export interface AdapterUnderTest<Port> {
  adapter: Port;
  cleanup: () => Promise<void>;
}

export function storedSaleFixture(overrides: Partial<StoredSale> = {}): StoredSale {
  return {
    event_id: newEventId(),
    store_id: 'nyc-001',
    seq: 1,
    terminal_id: 't-01',
    receipt_no: `r-${overrides.seq ?? 1}`,
    type: 'sale',
    original_receipt_no: null,
    occurred_at: '2026-03-08T14:15:00.000Z',
    received_at: '2026-03-08T14:15:01.000Z',
    business_date: '2026-03-08',
    business_hour: 10,
    timezone: 'America/New_York',
    region: 'us-east',
    currency: 'USD',
    tax_minor: 24,
    total_minor: 322,
    payment_method: 'card',
    customer_hash: null,
    trace_id: newTraceId(),
    lines: [
      { line_no: 1, sku: 'milk-1l', qty: 2, unit_price_minor: 149, discount_minor: 0, net_minor: 298, category: 'grocery', unit_cost_minor: 95 },
    ],
    ...overrides,
  };
}

export function deadLetterFixture(overrides: Partial<DeadLetter> = {}): DeadLetter {
  const eventId = overrides.event_id ?? newEventId();
  return {
    id: eventId,
    event_id: eventId,
    store_id: 'nyc-001',
    seq: 1,
    trace_id: newTraceId(),
    stage: 'worker',
    reason_code: 'RS_ERR_UNKNOWN_PRODUCT',
    reason: 'lines.0.sku: unknown product nope-1',
    attempts: 1,
    payload: '{"receipt_no":"r-1", "lines":[{"sku":"nope-1"}]}',
    received_at: '2026-03-08T14:15:01.000Z',
    created_at: '2026-03-08T14:16:00.000Z',
    replayed_at: null,
    ...overrides,
  };
}
