import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredSale } from '@retail-sync/libs/domain';
import { DuckDbWarehouse } from '../warehouse/duckdb/index.ts';
import { deadLetter, InMemoryDeadLetters, InMemoryOrderStore, nyc, storedSale, yyz } from '../testing/index.ts';
import { formatReconcileLine, reconcile } from './reconcile.ts';
import { toFactLines } from './sales_rollups.ts';

const line = { sku: 'SKU-A', category: 'grocery', qty: 1, unit_price_minor: 500, unit_cost_minor: 300 };
const sale = (store = nyc, seq = 1, overrides: Partial<Parameters<typeof storedSale>[0]> = {}) =>
  storedSale({ store, seq, occurred_at: `2026-03-0${1 + (seq % 3)}T16:00:00Z`, lines: [line], ...overrides });

describe('reconcile', () => {
  let orderStore: InMemoryOrderStore;
  let deadLetters: InMemoryDeadLetters;
  let warehouse: DuckDbWarehouse;

  /** Stores the sales and loads them into the warehouse facts, day by day. */
  async function storeAndLoad(sales: StoredSale[]): Promise<void> {
    await orderStore.putSales(sales);
    for (const date of new Set(sales.map((s) => s.business_date))) {
      await warehouse.replaceFacts(date, (await orderStore.salesForDate(date)).flatMap(toFactLines));
    }
  }

  const run = (stores = [{ store_id: 'nyc-001', acked_high_water: 5 }, { store_id: 'yyz-001', acked_high_water: 3 }]) =>
    reconcile({ stores, orderStore, deadLetters, warehouse });

  beforeEach(async () => {
    orderStore = new InMemoryOrderStore();
    deadLetters = new InMemoryDeadLetters();
    warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    await warehouse.migrate();
  });

  afterEach(async () => {
    await warehouse.close();
  });

  const complete = () => [1, 2, 3, 4, 5].map((seq) => sale(nyc, seq)).concat([1, 2, 3].map((seq) => sale(yyz, seq)));

  it('finds nothing missing or doubled in a complete dataset', async () => {
    await storeAndLoad(complete());
    const report = await run();
    expect(report.totals).toEqual({ stores: 2, accepted: 8, stored: 8, warehouse: 8, dead_lettered: 0, missing: 0, duplicated: 0 });
    expect(report.ok).toBe(true);
    expect(report.perStore.map((store) => [store.store_id, store.accepted, store.stored])).toEqual([
      ['nyc-001', 5, 5],
      ['yyz-001', 3, 3],
    ]);
  });

  it('reports a deleted order-store row as missing, and the check fails', async () => {
    const sales = complete();
    await storeAndLoad(sales);
    orderStore.deleteSale(sales[2]!.event_id); // nyc seq 3
    const report = await run();
    expect(report.totals.missing).toBe(1);
    expect(report.totals.stored).toBe(7);
    expect(report.ok).toBe(false);
    expect(report.perStore[0]).toMatchObject({ store_id: 'nyc-001', missing: 1, missing_seqs: [3] });
  });

  it('reports seqs above the stored range as missing when the store acked them', async () => {
    await storeAndLoad(complete());
    const report = await run([{ store_id: 'nyc-001', acked_high_water: 7 }]);
    expect(report.totals).toMatchObject({ accepted: 7, stored: 5, missing: 2 });
    expect(report.perStore[0]!.missing_seqs).toEqual([6, 7]);
  });

  it('reports a seq stored under two event_ids as duplicated', async () => {
    const sales = complete();
    const twin = sale(nyc, 2, { receipt_no: 'other-receipt' }); // same seq, different event and receipt
    await storeAndLoad([...sales, twin]);
    const report = await run();
    expect(report.totals.duplicated).toBe(1);
    expect(report.totals.missing).toBe(0);
    expect(report.ok).toBe(false);
    const surplus = [sales[1]!.event_id, twin.event_id].sort()[1];
    expect(report.perStore[0]!.duplicated_event_ids).toEqual([surplus]);
  });

  it('reports one receipt stored under two seqs as duplicated', async () => {
    const sales = complete();
    const again = sale(nyc, 6, { receipt_no: sales[0]!.receipt_no, occurred_at: sales[0]!.occurred_at });
    await storeAndLoad([...sales, again]);
    const report = await run([{ store_id: 'nyc-001', acked_high_water: 6 }]);
    expect(report.totals).toMatchObject({ accepted: 6, stored: 6, missing: 0, duplicated: 1 });
  });

  it('does not confuse a refund with the sale it refers to', async () => {
    const sales = complete();
    const refund = sale(nyc, 6, { type: 'refund', receipt_no: sales[0]!.receipt_no, original_receipt_no: sales[0]!.receipt_no, occurred_at: sales[0]!.occurred_at });
    await storeAndLoad([...sales, refund]);
    const report = await run([{ store_id: 'nyc-001', acked_high_water: 6 }]);
    expect(report.totals).toMatchObject({ stored: 6, missing: 0, duplicated: 0 });
  });

  it('counts a dead-lettered seq as dead_lettered, not missing; a replayed and stored one as stored', async () => {
    const sales = complete().filter((s) => !(s.store_id === 'nyc-001' && (s.seq === 4 || s.seq === 5)));
    await storeAndLoad(sales);
    await deadLetters.put(deadLetter('nyc-001', 4));
    const replayed = deadLetter('nyc-001', 5);
    await deadLetters.put(replayed);
    await deadLetters.put(deadLetter('nyc-001', 99)); // beyond the acked range: not counted
    let report = await run();
    expect(report.totals).toMatchObject({ accepted: 8, stored: 6, dead_lettered: 2, missing: 0, duplicated: 0 });
    expect(report.ok).toBe(true);

    await deadLetters.markReplayed(replayed.id, new Date().toISOString());
    await storeAndLoad([sale(nyc, 5)]);
    report = await run();
    expect(report.totals).toMatchObject({ stored: 7, dead_lettered: 1, missing: 0 });
  });

  it('counts warehouse seqs from the facts: a day not rolled yet is lag, not loss', async () => {
    const sales = complete();
    await orderStore.putSales(sales);
    const firstDay = sales[0]!.business_date;
    await warehouse.replaceFacts(firstDay, (await orderStore.salesForDate(firstDay)).flatMap(toFactLines));
    const report = await run();
    const loaded = sales.filter((s) => s.business_date === firstDay).length;
    expect(report.totals).toMatchObject({ stored: 8, warehouse: loaded, missing: 0 });
    expect(report.perStore.reduce((sum, store) => sum + store.not_in_warehouse, 0)).toBe(8 - loaded);
  });

  it('handles a store that has acked nothing yet', async () => {
    const report = await run([{ store_id: 'new-001', acked_high_water: 0 }]);
    expect(report.totals).toEqual({ stores: 1, accepted: 0, stored: 0, warehouse: 0, dead_lettered: 0, missing: 0, duplicated: 0 });
  });
});

describe('formatReconcileLine', () => {
  it('prints the one summary line the demo ends with', () => {
    expect(formatReconcileLine({ stores: 3, accepted: 120, stored: 118, warehouse: 118, dead_lettered: 2, missing: 0, duplicated: 0 })).toBe(
      'reconcile: stores=3 accepted=120 stored=118 warehouse=118 dead_lettered=2 missing=0 duplicated=0',
    );
  });
});
