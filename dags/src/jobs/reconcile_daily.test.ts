import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredSale } from '@retail-sync/libs/domain';
import { DuckDbWarehouse } from '../warehouse/duckdb/index.ts';
import type { ReconcileResultRow } from '../warehouse/dag-warehouse.ts';
import { deadLetter, InMemoryDeadLetters, InMemoryOrderStore, nyc, storedSale, testRunner, yyz } from '../testing/index.ts';
import { formatReconcileDayLine, formatReconcileStoreLine, reconcile_daily, reconcileDay, summarizeReconcileDay } from './reconcile_daily.ts';
import { toFactLines } from './sales_rollups.ts';

const DAY = '2026-03-08';
const line = { sku: 'SKU-A', category: 'grocery', qty: 1, unit_price_minor: 500, unit_cost_minor: 300 };
const sale = (store = nyc, seq = 1, overrides: Partial<Parameters<typeof storedSale>[0]> = {}) =>
  storedSale({ store, seq, occurred_at: `${DAY}T16:00:00Z`, lines: [line], tax_minor: 40, ...overrides });

describe('reconcile_daily', () => {
  let orderStore: InMemoryOrderStore;
  let deadLetters: InMemoryDeadLetters;
  let warehouse: DuckDbWarehouse;

  beforeEach(async () => {
    orderStore = new InMemoryOrderStore();
    deadLetters = new InMemoryDeadLetters();
    warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    await warehouse.migrate();
  });

  afterEach(async () => {
    await warehouse.close();
  });

  async function storeAndLoad(sales: StoredSale[]): Promise<void> {
    await orderStore.putSales(sales);
    await warehouse.replaceFacts(DAY, (await orderStore.salesForDate(DAY)).flatMap(toFactLines));
  }

  const check = () => reconcileDay({ businessDate: DAY, runId: 'run-1', orderStore, deadLetters, warehouse, now: new Date('2026-03-09T00:00:00Z') });

  it('sums total_minor unsigned, so a refund adds to both sides and they agree', async () => {
    await storeAndLoad([sale(nyc, 1), sale(nyc, 2, { type: 'refund', original_receipt_no: 'r1' })]);
    await orderStore.recordStoreProgress('nyc-001', 2, DAY);
    const [row] = await check();
    expect(row).toEqual<ReconcileResultRow>({
      business_date: DAY, store_id: 'nyc-001', currency: 'USD', acked_high_water: 2, first_seq: 1, last_seq: 2, order_sales: 2, order_total_minor: 1080,
      warehouse_sales: 2, warehouse_total_minor: 1080, seq_gaps: 0, gap_seqs: '', status: 'match', run_id: 'run-1', checked_at: '2026-03-09T00:00:00.000Z',
    });
  });

  it('gives every known store a row, an idle one included, and flags a store-day the warehouse lacks', async () => {
    await orderStore.putSales([sale(yyz, 1)]); // stored, never loaded
    await orderStore.recordStoreProgress('yyz-001', 1, DAY);
    await orderStore.recordStoreProgress('nyc-001', 0, DAY);
    const rows = await check();
    expect(rows.map((row) => [row.store_id, row.order_sales, row.warehouse_sales, row.status])).toEqual([
      ['nyc-001', 0, 0, 'match'],
      ['yyz-001', 1, 0, 'mismatch'],
    ]);
  });

  it('counts a doubled fact load as a sum mismatch', async () => {
    await storeAndLoad([sale(nyc, 1)]);
    const facts = (await orderStore.salesForDate(DAY)).flatMap(toFactLines);
    await warehouse.replaceFacts(DAY, [...facts, ...facts]);
    const [row] = await check();
    expect(row).toMatchObject({ order_sales: 1, warehouse_sales: 1, order_total_minor: 540, warehouse_total_minor: 1080, status: 'mismatch' });
  });

  it('reports seq gaps of the day as status gap when counts and sums agree', async () => {
    await storeAndLoad([sale(nyc, 1), sale(nyc, 4)]);
    await orderStore.recordStoreProgress('nyc-001', 5, DAY);
    await deadLetters.put(deadLetter('nyc-001', 3));
    const [row] = await check();
    expect(row).toMatchObject({ seq_gaps: 2, gap_seqs: '2,5', status: 'gap' });
  });

  it('prints one line per store and the closing reconcile-day line', async () => {
    await storeAndLoad([sale(nyc, 1), sale(yyz, 1)]);
    await orderStore.recordStoreProgress('nyc-001', 2, DAY);
    await orderStore.recordStoreProgress('yyz-001', 1, DAY);
    const rows = await check();
    expect(rows.map(formatReconcileStoreLine)).toEqual([
      'store=nyc-001 currency=USD seqs=1-1 acked_hw=2 order_sales=1 warehouse_sales=1 order_total_minor=540 warehouse_total_minor=540 seq_gaps=1 status=gap gap_seqs=2',
      'store=yyz-001 currency=CAD seqs=1-1 acked_hw=1 order_sales=1 warehouse_sales=1 order_total_minor=540 warehouse_total_minor=540 seq_gaps=0 status=match',
    ]);
    expect(formatReconcileDayLine(summarizeReconcileDay(DAY, rows))).toBe(`reconcile-day: date=${DAY} stores=2 match=1 mismatched=0 seq_gaps=1`);
  });

  it('runs as a job that replaces the day in reconcile_results', async () => {
    await storeAndLoad([sale(nyc, 1)]);
    await orderStore.recordStoreProgress('nyc-001', 1, DAY);
    const runner = testRunner({ resources: { warehouse, orderStore, deadLetters }, stores: warehouse.engineStores() });
    expect((await runner.runPartition(reconcile_daily, DAY)).status).toBe('succeeded');
    expect((await runner.runPartition(reconcile_daily, DAY)).status).toBe('succeeded');
    const stored = await warehouse.reconcileResults(DAY);
    expect(stored.map((row) => [row.business_date, row.store_id, row.status])).toEqual([[DAY, 'nyc-001', 'match']]);
    expect(await warehouse.query('SELECT store_id, status FROM v_reconcile_daily_store')).toEqual([{ store_id: 'nyc-001', status: 'match' }]);
  });

  it('dates gaps by their stored neighbours while reading only the day\'s seq window, not the whole log', async () => {
    const on = (date: string, seqs: number[]) => seqs.map((seq) => sale(nyc, seq, { occurred_at: `${date}T16:00:00Z` }));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    await orderStore.putSales([
      ...on('2026-03-07', range(1, 1200).filter((seq) => seq !== 5)), // gap 5; gap 1201 follows its last seq
      ...on(DAY, range(1202, 1300)), // then 1301–1305 missing
      ...on('2026-03-09', range(1306, 1310)), // then 1311–1312 acked, missing
    ]);
    await orderStore.recordStoreProgress('nyc-001', 1312, DAY);
    const reads: number[] = [];
    const counting = Object.create(orderStore) as InMemoryOrderStore;
    counting.seqsForStore = async (storeId, from, to) => (reads.push(to - from + 1), orderStore.seqsForStore(storeId, from, to));
    const gapsOn = async (date: string) => {
      const [row] = await reconcileDay({ businessDate: date, runId: 'r', orderStore: counting, deadLetters, warehouse });
      return [row!.seq_gaps, row!.gap_seqs];
    };
    expect(await gapsOn('2026-03-07')).toEqual([2, '5,1201']);
    reads.length = 0;
    expect(await gapsOn(DAY)).toEqual([5, '1301,1302,1303,1304,1305']);
    expect(Math.max(...reads)).toBeLessThanOrEqual(1_000);
    expect(await gapsOn('2026-03-09')).toEqual([2, '1311,1312']);
    expect(await gapsOn('2026-03-10')).toEqual([0, '']);
  });
});
