/**
 * The sales_rollups job's expectations on the fixed dataset (testing/rollup-dataset.ts), run once per
 * warehouse adapter: DuckDB in jobs/sales_rollups.test.ts, ClickHouse in its integration test. The SQL
 * here is the dialect-neutral subset both accept, so one set of hand-computed numbers proves both
 * adapters give identical rollups for the same facts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WarehousePort } from '@retail-sync/libs/ports';
import type { JobRunner } from '../engine/runner.ts';
import type { DagWarehouse } from '../warehouse/dag-warehouse.ts';
import type { DagResources } from '../jobs/resources.ts';
import { sales_rollups, toFactLines } from '../jobs/sales_rollups.ts';
import { InMemoryDeadLetters } from './in-memory-dead-letters.ts';
import { InMemoryOrderStore } from './in-memory-order-store.ts';
import { DAY_BEFORE, DST_DAY, rollupDataset } from './rollup-dataset.ts';
import { storedSale } from './sales.ts';
import { testRunner } from './engine.ts';

export type WarehouseWithEngine = DagWarehouse;

/** Rows of a table for the DST day, without business_date, ordered by the given columns. */
async function rowsOf(warehouse: WarehousePort, table: string, orderBy: string): Promise<Array<Record<string, unknown>>> {
  const rows = await warehouse.query(`SELECT * FROM ${table} WHERE business_date = '${DST_DAY}' ORDER BY ${orderBy}`);
  return rows.map(({ business_date: _day, ...row }) => row);
}

export function describeSalesRollupsJob(name: string, factory: () => Promise<WarehouseWithEngine>): void {
  describe(`sales_rollups job: ${name}`, () => {
    let warehouse: WarehouseWithEngine;
    let orderStore: InMemoryOrderStore;
    let runner: JobRunner<DagResources>;

    beforeEach(async () => {
      warehouse = await factory();
      await warehouse.migrate();
      orderStore = new InMemoryOrderStore();
      await orderStore.putSales(rollupDataset());
      runner = testRunner({ resources: { warehouse, orderStore, deadLetters: new InMemoryDeadLetters() }, stores: warehouse.engineStores() });
      const run = await runner.runPartition(sales_rollups, DST_DAY);
      expect(run.status).toBe('succeeded');
    });

    afterEach(async () => {
      await warehouse.close();
    });

    it('loads one fact per sale line with receipt amounts on the first line only', async () => {
      const facts = await warehouse.query<{ store_id: string; seq: number; line_no: number; receipt_total_minor: number; type: string }>(
        `SELECT store_id, seq, line_no, receipt_total_minor, type FROM fact_sales_line ORDER BY store_id, seq, line_no`,
      );
      expect(facts).toEqual([
        { store_id: 'nyc-001', seq: 1, line_no: 1, receipt_total_minor: 1296, type: 'sale' },
        { store_id: 'nyc-001', seq: 1, line_no: 2, receipt_total_minor: 0, type: 'sale' },
        { store_id: 'nyc-001', seq: 2, line_no: 1, receipt_total_minor: 540, type: 'sale' },
        { store_id: 'nyc-001', seq: 3, line_no: 1, receipt_total_minor: 540, type: 'refund' },
        { store_id: 'nyc-001', seq: 4, line_no: 1, receipt_total_minor: 216, type: 'void' },
        { store_id: 'yyz-001', seq: 1, line_no: 1, receipt_total_minor: 3446, type: 'sale' },
        { store_id: 'yyz-001', seq: 1, line_no: 2, receipt_total_minor: 0, type: 'sale' },
        { store_id: 'yyz-001', seq: 2, line_no: 1, receipt_total_minor: 2713, type: 'sale' },
      ]);
    });

    it('stores occurred_at as the UTC instant', () => {
      const [fact] = toFactLines({ ...rollupDataset()[0]!, occurred_at: '2026-11-01T01:30:00-04:00' });
      expect(fact!.occurred_at).toBe('2026-11-01T05:30:00.000Z');
    });

    it('sums the two real hours of the fall-back day into business hour 1, refunds and voids in their own hours', async () => {
      expect(await rowsOf(warehouse, 'rollup_sales_hourly_store', 'store_id, business_hour')).toEqual([
        { business_hour: 1, store_id: 'nyc-001', currency: 'USD', receipts: 2, items: 4, gross_minor: 1836, net_minor: 1836, refunds_minor: 0, voids_minor: 0 },
        { business_hour: 10, store_id: 'nyc-001', currency: 'USD', receipts: 0, items: 0, gross_minor: 0, net_minor: -540, refunds_minor: 540, voids_minor: 0 },
        { business_hour: 11, store_id: 'nyc-001', currency: 'USD', receipts: 0, items: 0, gross_minor: 0, net_minor: -216, refunds_minor: 0, voids_minor: 216 },
        { business_hour: 9, store_id: 'yyz-001', currency: 'CAD', receipts: 2, items: 6, gross_minor: 6159, net_minor: 6159, refunds_minor: 0, voids_minor: 0 },
      ]);
    });

    it('sums the daily store view from the hours', async () => {
      expect(await rowsOf(warehouse, 'v_sales_daily_store', 'store_id')).toEqual([
        { store_id: 'nyc-001', currency: 'USD', receipts: 2, items: 4, gross_minor: 1836, net_minor: 1080, refunds_minor: 540, voids_minor: 216 },
        { store_id: 'yyz-001', currency: 'CAD', receipts: 2, items: 6, gross_minor: 6159, net_minor: 6159, refunds_minor: 0, voids_minor: 0 },
      ]);
    });

    it('keeps one row per currency in a region and never adds USD to CAD', async () => {
      expect(await rowsOf(warehouse, 'rollup_sales_daily_region', 'currency')).toEqual([
        { region: 'north-america', currency: 'CAD', stores: 1, receipts: 2, items: 6, gross_minor: 6159, net_minor: 6159, refunds_minor: 0, voids_minor: 0 },
        { region: 'north-america', currency: 'USD', stores: 1, receipts: 2, items: 4, gross_minor: 1836, net_minor: 1080, refunds_minor: 540, voids_minor: 216 },
      ]);
    });

    it('splits units and line nets by category with refunds and voids signed', async () => {
      expect(await rowsOf(warehouse, 'rollup_sales_daily_store_category', 'store_id, category')).toEqual([
        { store_id: 'nyc-001', category: 'grocery', currency: 'USD', units_sold: 3, units_refunded: 1, units_voided: 0, gross_minor: 1500, refunds_minor: 500, voids_minor: 0, net_minor: 1000 },
        { store_id: 'nyc-001', category: 'household', currency: 'USD', units_sold: 1, units_refunded: 0, units_voided: 1, gross_minor: 200, refunds_minor: 0, voids_minor: 200, net_minor: 0 },
        { store_id: 'yyz-001', category: 'electronics', currency: 'CAD', units_sold: 3, units_refunded: 0, units_voided: 0, gross_minor: 3500, refunds_minor: 0, voids_minor: 0, net_minor: 3500 },
        { store_id: 'yyz-001', category: 'grocery', currency: 'CAD', units_sold: 3, units_refunded: 0, units_voided: 0, gross_minor: 1950, refunds_minor: 0, voids_minor: 0, net_minor: 1950 },
      ]);
    });

    it('ranks top products per store by net units, ties by sku, leaving out what was all taken back', async () => {
      expect(await rowsOf(warehouse, 'rollup_top_products_daily', 'store_id, rank')).toEqual([
        { store_id: 'nyc-001', rank: 1, sku: 'SKU-A', category: 'grocery', currency: 'USD', units: 2, revenue_minor: 1000 },
        { store_id: 'yyz-001', rank: 1, sku: 'SKU-A', category: 'grocery', currency: 'CAD', units: 3, revenue_minor: 1950 },
        { store_id: 'yyz-001', rank: 2, sku: 'SKU-C', category: 'electronics', currency: 'CAD', units: 3, revenue_minor: 3500 },
      ]);
    });

    it('keeps ten products per store at most', async () => {
      const store = { store_id: 'big-001', region: 'north-america', timezone: 'America/New_York', currency: 'USD' };
      const lines = Array.from({ length: 12 }, (_, i) => ({ sku: `SKU-${String(i).padStart(2, '0')}`, category: 'misc', qty: 20 - i, unit_price_minor: 100, unit_cost_minor: 50 }));
      await orderStore.putSales([storedSale({ store, seq: 1, occurred_at: '2026-11-01T17:00:00Z', lines })]);
      await runner.runPartition(sales_rollups, DST_DAY);
      const top = await warehouse.query<{ rank: number; sku: string; units: number }>(
        `SELECT rank, sku, units FROM rollup_top_products_daily WHERE store_id = 'big-001' ORDER BY rank`,
      );
      expect(top.map((row) => row.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(top[0]).toEqual({ rank: 1, sku: 'SKU-00', units: 20 });
      expect(top[9]).toEqual({ rank: 10, sku: 'SKU-09', units: 11 });
    });

    it('computes basket size and the average ticket rounded half up in whole minor units', async () => {
      expect(await rowsOf(warehouse, 'rollup_basket_daily_store', 'store_id')).toEqual([
        { store_id: 'nyc-001', currency: 'USD', receipts: 2, items: 4, gross_minor: 1836, items_per_receipt: 2, avg_ticket_minor: 918 },
        // 6159 / 2 = 3079.5 → 3080
        { store_id: 'yyz-001', currency: 'CAD', receipts: 2, items: 6, gross_minor: 6159, items_per_receipt: 3, avg_ticket_minor: 3080 },
      ]);
    });

    it('rates refunds and voids in basis points of sale receipts', async () => {
      expect(await rowsOf(warehouse, 'rollup_refund_void_rates_daily_store', 'store_id')).toEqual([
        { store_id: 'nyc-001', currency: 'USD', sale_receipts: 2, refund_receipts: 1, void_receipts: 1, gross_minor: 1836, refunds_minor: 540, voids_minor: 216, refund_rate_bp: 5000, void_rate_bp: 5000 },
        { store_id: 'yyz-001', currency: 'CAD', sale_receipts: 2, refund_receipts: 0, void_receipts: 0, gross_minor: 6159, refunds_minor: 0, voids_minor: 0, refund_rate_bp: 0, void_rate_bp: 0 },
      ]);
    });

    it('nets revenue and cost of refunded and voided units out of the margin', async () => {
      expect(await rowsOf(warehouse, 'rollup_margin_daily_store', 'store_id')).toEqual([
        // revenue 1700 − 500 − 200; cost 1000 − 300 − 100
        { store_id: 'nyc-001', currency: 'USD', revenue_minor: 1000, cost_minor: 600, margin_minor: 400, margin_bp: 4000 },
        // revenue 1950 + 1100 + 2400; cost 1170 + 700 + 1400
        { store_id: 'yyz-001', currency: 'CAD', revenue_minor: 5450, cost_minor: 3270, margin_minor: 2180, margin_bp: 4000 },
      ]);
    });

    it('rolls each day from its own facts only', async () => {
      await runner.runPartition(sales_rollups, DAY_BEFORE);
      const hours = await warehouse.query<{ business_hour: number; gross_minor: number }>(
        `SELECT business_hour, gross_minor FROM rollup_sales_hourly_store WHERE business_date = '${DAY_BEFORE}'`,
      );
      expect(hours).toEqual([{ business_hour: 16, gross_minor: 540 }]);
      expect(await rowsOf(warehouse, 'rollup_sales_hourly_store', 'store_id, business_hour')).toHaveLength(4);
    });

    it('runs load_facts first and every rollup after it, recording each in run history', async () => {
      expect(sales_rollups.order[0]).toBe('load_facts');
      const history = await warehouse.engineStores().history.list({ jobId: 'sales_rollups' });
      expect(history.filter((attempt) => attempt.status === 'succeeded').map((attempt) => attempt.task).sort()).toEqual([...sales_rollups.order].sort());
      const loaded = history.find((attempt) => attempt.task === 'load_facts');
      expect(loaded?.rows).toBe(8);
    });
  });
}
