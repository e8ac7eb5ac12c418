/** Valid sales and events for tests; every amount adds up so parseSale accepts them. */
import { newEventId, newTraceId, type SaleEvent, type SaleInput } from '@retail-sync/libs/domain';

/** A sale as a terminal posts it (no store_id). */
export type PosSaleInput = Omit<SaleInput, 'store_id'> & { store_id?: string };

export function validSale(receiptNo: string, overrides: Partial<PosSaleInput> = {}): PosSaleInput {
  return {
    terminal_id: 't1',
    receipt_no: receiptNo,
    occurred_at: '2026-03-08T09:15:00-05:00',
    type: 'sale',
    currency: 'USD',
    lines: [
      { sku: 'milk-1l', qty: 2, unit_price_minor: 149, discount_minor: 0 },
      { sku: 'bread-rye', qty: 1, unit_price_minor: 329, discount_minor: 29 },
    ],
    tax_minor: 48,
    total_minor: 2 * 149 + 329 - 29 + 48,
    payment_method: 'card',
    ...overrides,
  };
}

export function saleEvent(storeId: string, seq: number): SaleEvent {
  const sale = { ...validSale(`R${seq}`), store_id: storeId } as SaleEvent['sale'];
  return { event_id: newEventId(), store_id: storeId, seq, received_at: new Date().toISOString(), trace_id: newTraceId(), sale };
}
