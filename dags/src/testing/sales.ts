/**
 * Builders for StoredSale test data: business date and hour are computed the way the worker does
 * (businessTimeOf in the store's timezone), line nets and the receipt total follow the sale rules.
 */
import { businessTimeOf, lineNetMinor, newEventId, newTraceId, type StoredSale } from '@retail-sync/libs/domain';
import type { DeadLetter } from '@retail-sync/libs/ports';

export interface TestStore {
  store_id: string;
  region: string;
  timezone: string;
  currency: string;
}

export interface TestLine {
  sku: string;
  category: string;
  qty: number;
  unit_price_minor: number;
  discount_minor?: number;
  unit_cost_minor: number;
}

export interface TestSale {
  store: TestStore;
  seq: number;
  occurred_at: string;
  type?: StoredSale['type'];
  terminal_id?: string;
  receipt_no?: string;
  original_receipt_no?: string;
  tax_minor?: number;
  lines: TestLine[];
  event_id?: string;
}

export function storedSale(spec: TestSale): StoredSale {
  const { businessDate, businessHour } = businessTimeOf(spec.occurred_at, spec.store.timezone);
  const lines = spec.lines.map((line, index) => {
    const discount = line.discount_minor ?? 0;
    return {
      line_no: index + 1,
      sku: line.sku,
      qty: line.qty,
      unit_price_minor: line.unit_price_minor,
      discount_minor: discount,
      net_minor: lineNetMinor({ ...line, discount_minor: discount }),
      category: line.category,
      unit_cost_minor: line.unit_cost_minor,
    };
  });
  const tax = spec.tax_minor ?? 0;
  const type = spec.type ?? 'sale';
  return {
    event_id: spec.event_id ?? newEventId(),
    store_id: spec.store.store_id,
    seq: spec.seq,
    terminal_id: spec.terminal_id ?? 't1',
    receipt_no: spec.receipt_no ?? `r${spec.seq}`,
    type,
    original_receipt_no: type === 'sale' ? null : (spec.original_receipt_no ?? 'r0'),
    occurred_at: spec.occurred_at,
    received_at: spec.occurred_at,
    business_date: businessDate,
    business_hour: businessHour,
    timezone: spec.store.timezone,
    region: spec.store.region,
    currency: spec.store.currency,
    tax_minor: tax,
    total_minor: lines.reduce((sum, line) => sum + line.net_minor, 0) + tax,
    payment_method: 'card',
    customer_hash: null,
    trace_id: newTraceId(),
    lines,
  };
}

export function deadLetter(storeId: string, seq: number, overrides: Partial<DeadLetter> = {}): DeadLetter {
  const eventId = newEventId();
  return {
    id: eventId,
    event_id: eventId,
    store_id: storeId,
    seq,
    trace_id: null,
    stage: 'worker',
    reason_code: 'RS_ERR_UNKNOWN_PRODUCT',
    reason: 'lines.0.sku: unknown product',
    attempts: 1,
    payload: '{}',
    received_at: null,
    created_at: new Date().toISOString(),
    replayed_at: null,
    ...overrides,
  };
}
