/**
 * Turns a queued event into the StoredSale the order store keeps: full validation, catalog
 * enrichment, business time in the store's timezone and the customer id replaced by its keyed hash.
 * Pure and deterministic, so a replay builds the very same row. Every failure here is bad data
 * (non-retriable) and names the field.
 */
import { createHmac } from 'node:crypto';
import { businessTimeOf, lineNetMinor, parseSale, type StoredSale } from '@retail-sync/libs/domain';
import { commonErrors } from '@retail-sync/libs/errors';
import type { QueuedEvent } from '@retail-sync/libs/ports';
import { unitCostFor, type Catalog } from '../catalog/index.ts';

/** HMAC-SHA256(piiKey, customerId) as hex: stable per customer, useless without the key. */
export function customerHash(piiKey: string, customerId: string): string {
  return createHmac('sha256', piiKey).update(customerId).digest('hex');
}

export function buildStoredSale(event: QueuedEvent, catalog: Pick<Catalog, 'store' | 'product'>, piiKey: string): StoredSale {
  let raw: unknown;
  try {
    raw = JSON.parse(event.sale_json);
  } catch (error) {
    throw commonErrors.create('RS_ERR_INVALID_EVENT', `sale_json: is not valid JSON (${(error as Error).message})`);
  }
  const parsed = parseSale(raw);
  if (!parsed.ok) {
    throw commonErrors.create('RS_ERR_INVALID_EVENT', parsed.issues.map((issue) => `${issue.field}: ${issue.rule}`).join('; '), {
      details: { issues: parsed.issues },
    });
  }
  const sale = parsed.sale;
  if (sale.store_id !== event.store_id) {
    throw commonErrors.create('RS_ERR_STORE_MISMATCH', `store_id: sale of store '${sale.store_id}' in an event of store '${event.store_id}'`);
  }
  const store = catalog.store(event.store_id);
  if (!store) throw commonErrors.create('RS_ERR_UNKNOWN_STORE', `store_id: unknown store '${event.store_id}'`);
  if (sale.currency !== store.currency) {
    throw commonErrors.create('RS_ERR_CURRENCY_MISMATCH', `currency: store '${store.store_id}' sells in ${store.currency}, the sale says ${sale.currency}`);
  }

  const unknownSkus: string[] = [];
  const lines = sale.lines.map((line, index) => {
    const product = catalog.product(line.sku);
    if (!product) unknownSkus.push(`lines.${index}.sku: unknown product '${line.sku}'`);
    return {
      line_no: index + 1,
      sku: line.sku,
      qty: line.qty,
      unit_price_minor: line.unit_price_minor,
      discount_minor: line.discount_minor,
      net_minor: lineNetMinor(line),
      category: product?.category ?? '',
      unit_cost_minor: product ? unitCostFor(product, store) : 0,
    };
  });
  if (unknownSkus.length > 0) throw commonErrors.create('RS_ERR_UNKNOWN_PRODUCT', unknownSkus.join('; '));

  const { businessDate, businessHour } = businessTimeOf(sale.occurred_at, store.timezone);
  return {
    event_id: event.event_id,
    store_id: event.store_id,
    seq: event.seq,
    terminal_id: sale.terminal_id,
    receipt_no: sale.receipt_no,
    type: sale.type,
    original_receipt_no: sale.original_receipt_no ?? null,
    occurred_at: new Date(sale.occurred_at).toISOString(),
    received_at: event.received_at,
    business_date: businessDate,
    business_hour: businessHour,
    timezone: store.timezone,
    region: store.region,
    currency: sale.currency,
    tax_minor: sale.tax_minor,
    total_minor: sale.total_minor,
    payment_method: sale.payment_method,
    customer_hash: sale.customer_id === undefined ? null : customerHash(piiKey, sale.customer_id),
    trace_id: event.trace_id,
    lines,
  };
}
