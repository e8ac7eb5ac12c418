/**
 * A small fixed dataset with hand-computed rollups (sales_rollups.test.ts and the warehouse contract):
 * two stores in one region with two currencies (USD, CAD), a refund, a void, and the New York fall-back
 * day 2026-11-01, where 05:30Z (01:30 EDT) and 06:30Z (01:30 EST) both land in business hour 1.
 * One sale on 2026-10-31 checks that partitions do not leak into each other.
 */
import type { StoredSale } from '@retail-sync/libs/domain';
import { storedSale, type TestLine, type TestStore } from './sales.ts';

export const DST_DAY = '2026-11-01';
export const DAY_BEFORE = '2026-10-31';

export const nyc: TestStore = { store_id: 'nyc-001', region: 'north-america', timezone: 'America/New_York', currency: 'USD' };
export const yyz: TestStore = { store_id: 'yyz-001', region: 'north-america', timezone: 'America/Toronto', currency: 'CAD' };

const usdApple = (qty: number): TestLine => ({ sku: 'SKU-A', category: 'grocery', qty, unit_price_minor: 500, unit_cost_minor: 300 });
const usdBrush = (qty: number): TestLine => ({ sku: 'SKU-B', category: 'household', qty, unit_price_minor: 250, discount_minor: 50 * qty, unit_cost_minor: 100 });
const cadApple = (qty: number): TestLine => ({ sku: 'SKU-A', category: 'grocery', qty, unit_price_minor: 650, unit_cost_minor: 390 });
const cadRadio = (qty: number, discount = 0): TestLine => ({ sku: 'SKU-C', category: 'electronics', qty, unit_price_minor: 1200, discount_minor: discount, unit_cost_minor: 700 });

/** The dataset; each call gives fresh event ids. */
export function rollupDataset(): StoredSale[] {
  return [
    // nyc, hour 1 twice over (EDT then EST)
    storedSale({ store: nyc, seq: 1, occurred_at: '2026-11-01T05:30:00Z', receipt_no: 'r1', tax_minor: 96, lines: [usdApple(2), usdBrush(1)] }), // 1000 + 200 + 96 = 1296
    storedSale({ store: nyc, seq: 2, occurred_at: '2026-11-01T06:30:00Z', receipt_no: 'r2', tax_minor: 40, lines: [usdApple(1)] }), // 540
    // refund of r2 at 10:00 EST, void of the brush on r1 at 11:00 EST
    storedSale({ store: nyc, seq: 3, occurred_at: '2026-11-01T15:00:00Z', type: 'refund', receipt_no: 'r3', original_receipt_no: 'r2', tax_minor: 40, lines: [usdApple(1)] }), // 540
    storedSale({ store: nyc, seq: 4, occurred_at: '2026-11-01T16:00:00Z', type: 'void', receipt_no: 'r4', original_receipt_no: 'r1', tax_minor: 16, lines: [usdBrush(1)] }), // 216
    // yyz, hour 9 EST
    storedSale({ store: yyz, seq: 1, occurred_at: '2026-11-01T14:00:00Z', terminal_id: 't9', receipt_no: 'r1', tax_minor: 396, lines: [cadApple(3), cadRadio(1, 100)] }), // 1950 + 1100 + 396 = 3446
    storedSale({ store: yyz, seq: 2, occurred_at: '2026-11-01T14:20:00Z', terminal_id: 't9', receipt_no: 'r2', tax_minor: 313, lines: [cadRadio(2)] }), // 2400 + 313 = 2713
    // the day before (16:00 EDT on 2026-10-31)
    storedSale({ store: nyc, seq: 5, occurred_at: '2026-10-31T20:00:00Z', receipt_no: 'r5', tax_minor: 40, lines: [usdApple(1)] }),
  ];
}

/** A late nyc sale on the DST day, hour 1 (EST): 1 × SKU-A + 40 tax = 540. */
export function lateSale(): StoredSale {
  return storedSale({ store: nyc, seq: 6, occurred_at: '2026-11-01T06:45:00Z', receipt_no: 'r6', tax_minor: 40, lines: [usdApple(1)] });
}
