/**
 * The envelope the store wraps around a sale at intake. It is what the buffer stores, what the shipper
 * sends and what central keys on: `event_id` makes every hop idempotent, `seq` (gap-free per store)
 * makes loss and doubling provable by reconciliation.
 */
import { z } from 'zod';
import { isEventId } from './ids.ts';
import { saleSchema, storeId, type Sale } from './sale.ts';

export interface SaleEvent {
  event_id: string;
  store_id: string;
  /** 1, 2, 3 … per store, no gaps, assigned at the durable append. */
  seq: number;
  /** When the store accepted it (ISO 8601 UTC). */
  received_at: string;
  trace_id: string;
  sale: Sale;
}

/** The envelope check central runs at ingest; the payload is checked in full by the worker. */
export const envelopeSchema = z.object({
  event_id: z.string().refine(isEventId, { error: 'must be a UUIDv7' }),
  store_id: storeId,
  seq: z.number().int().min(1, { error: 'must be a positive integer' }),
  received_at: z.string().min(1),
  trace_id: z.string().regex(/^[0-9a-f]{32}$/, { error: 'must be 32 lower-case hex characters' }),
});

export const saleEventSchema = envelopeSchema.extend({ sale: saleSchema });

/** Enrichment the worker adds from the catalog before the order-store write. */
export interface EnrichedLine {
  line_no: number;
  sku: string;
  qty: number;
  unit_price_minor: number;
  discount_minor: number;
  net_minor: number;
  category: string;
  unit_cost_minor: number;
}

/** One sale as stored in the order store: immutable, keyed by event_id, replay writes the same row. */
export interface StoredSale {
  event_id: string;
  store_id: string;
  seq: number;
  terminal_id: string;
  receipt_no: string;
  type: Sale['type'];
  original_receipt_no: string | null;
  occurred_at: string;
  received_at: string;
  business_date: string;
  business_hour: number;
  timezone: string;
  region: string;
  currency: string;
  tax_minor: number;
  total_minor: number;
  payment_method: string;
  /** Keyed hash (HMAC) of the customer id; the raw value never leaves the worker. */
  customer_hash: string | null;
  trace_id: string;
  lines: EnrichedLine[];
}
