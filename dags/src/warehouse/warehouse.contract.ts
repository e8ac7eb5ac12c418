/**
 * The warehouse contract: one suite every WarehousePort adapter must pass (DuckDB now, ClickHouse next),
 * run once per adapter through a factory, BullMQ-style. It checks the port's promises through the port
 * only: partition replacement is idempotent, rollups are deterministic, a late sale moves a rollup by
 * exactly that sale, reconciliation's seq view, and migrations that can be applied twice.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredSale } from '@retail-sync/libs/domain';
import type { WarehousePort } from '@retail-sync/libs/ports';
import { toFactLines } from '../jobs/sales_rollups.ts';
import { DAY_BEFORE, DST_DAY, lateSale, rollupDataset } from '../testing/index.ts';
import { ROLLUP_NAMES } from './rollups.ts';

const factsOf = (sales: StoredSale[], date: string) => sales.filter((sale) => sale.business_date === date).flatMap(toFactLines);

/** Rows of a table for one day, business_date cut to YYYY-MM-DD, sorted: comparable across dialects. */
async function partitionRows(warehouse: WarehousePort, table: string, date: string): Promise<Array<Record<string, unknown>>> {
  const rows = await warehouse.query(`SELECT * FROM ${table} WHERE business_date = '${date}'`);
  return rows
    .map((row) => ({ ...row, business_date: String(row.business_date).slice(0, 10) }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

export function describeWarehouseContract(name: string, factory: () => Promise<WarehousePort>): void {
  describe(`warehouse contract: ${name}`, () => {
    let warehouse: WarehousePort;
    let sales: StoredSale[];

    beforeEach(async () => {
      warehouse = await factory();
      await warehouse.migrate();
      sales = rollupDataset();
    });

    afterEach(async () => {
      await warehouse.close();
    });

    it('migrating twice is harmless: the second run keeps tables and data', async () => {
      await warehouse.replaceFacts(DST_DAY, factsOf(sales, DST_DAY));
      const before = await partitionRows(warehouse, 'fact_sales_line', DST_DAY);
      await warehouse.migrate();
      expect(await partitionRows(warehouse, 'fact_sales_line', DST_DAY)).toEqual(before);
    });

    it('replacing a partition twice leaves the same fact rows, never appended twice', async () => {
      const facts = factsOf(sales, DST_DAY);
      expect(await warehouse.replaceFacts(DST_DAY, facts)).toBe(facts.length);
      const once = await partitionRows(warehouse, 'fact_sales_line', DST_DAY);
      await warehouse.replaceFacts(DST_DAY, facts);
      const twice = await partitionRows(warehouse, 'fact_sales_line', DST_DAY);
      expect(once).toHaveLength(facts.length);
      expect(twice).toEqual(once);
    });

    it('replacing one partition leaves the other days alone', async () => {
      await warehouse.replaceFacts(DAY_BEFORE, factsOf(sales, DAY_BEFORE));
      await warehouse.replaceFacts(DST_DAY, factsOf(sales, DST_DAY));
      await warehouse.replaceFacts(DST_DAY, []);
      expect(await partitionRows(warehouse, 'fact_sales_line', DST_DAY)).toEqual([]);
      expect(await partitionRows(warehouse, 'fact_sales_line', DAY_BEFORE)).toHaveLength(1);
    });

    it('rejects a fact row dated outside the partition it is loaded into', async () => {
      await expect(warehouse.replaceFacts(DST_DAY, factsOf(sales, DAY_BEFORE))).rejects.toMatchObject({ code: 'RS_ERR_PARTITION_MISMATCH' });
    });

    it('knows every rollup the sales_rollups job runs', () => {
      expect(warehouse.rollupNames()).toEqual(expect.arrayContaining([...ROLLUP_NAMES]));
    });

    it('rejects an unknown rollup name without touching anything', async () => {
      await expect(warehouse.runRollup('rollup_nope', DST_DAY)).rejects.toMatchObject({ code: 'RS_ERR_UNKNOWN_ROLLUP' });
    });

    it('running each rollup twice gives identical rows', async () => {
      await warehouse.replaceFacts(DST_DAY, factsOf(sales, DST_DAY));
      for (const rollup of ROLLUP_NAMES) {
        const count = await warehouse.runRollup(rollup, DST_DAY);
        const first = await partitionRows(warehouse, rollup, DST_DAY);
        expect(await warehouse.runRollup(rollup, DST_DAY)).toBe(count);
        expect(await partitionRows(warehouse, rollup, DST_DAY), rollup).toEqual(first);
        expect(first.length, rollup).toBe(count);
        expect(count, rollup).toBeGreaterThan(0);
      }
    });

    it('a late sale re-rolled changes the hourly rollup by exactly that sale', async () => {
      await warehouse.replaceFacts(DST_DAY, factsOf(sales, DST_DAY));
      await warehouse.runRollup('rollup_sales_hourly_store', DST_DAY);
      const before = await partitionRows(warehouse, 'rollup_sales_hourly_store', DST_DAY);

      const late = lateSale();
      await warehouse.replaceFacts(DST_DAY, factsOf([...sales, late], DST_DAY));
      await warehouse.runRollup('rollup_sales_hourly_store', DST_DAY);
      const after = await partitionRows(warehouse, 'rollup_sales_hourly_store', DST_DAY);

      const key = (row: Record<string, unknown>) => `${row.store_id}/${row.business_hour}`;
      const lateKey = `${late.store_id}/${late.business_hour}`;
      expect(after.map(key)).toEqual(before.map(key));
      for (const row of after) {
        const old = before.find((candidate) => key(candidate) === key(row))!;
        if (key(row) !== lateKey) {
          expect(row).toEqual(old);
          continue;
        }
        expect(row).toEqual({
          ...old,
          receipts: Number(old.receipts) + 1,
          items: Number(old.items) + 1,
          gross_minor: Number(old.gross_minor) + late.total_minor,
          net_minor: Number(old.net_minor) + late.total_minor,
        });
      }
    });

    it('factSeqsForStore gives each stored seq once with its sales count and receipt total', async () => {
      for (const date of [DAY_BEFORE, DST_DAY]) await warehouse.replaceFacts(date, factsOf(sales, date));
      expect(await warehouse.factSeqsForStore('nyc-001', 1, 5)).toEqual([
        { seq: 1, sales: 1, total_minor: 1296 },
        { seq: 2, sales: 1, total_minor: 540 },
        { seq: 3, sales: 1, total_minor: 540 },
        { seq: 4, sales: 1, total_minor: 216 },
        { seq: 5, sales: 1, total_minor: 540 },
      ]);
      expect(await warehouse.factSeqsForStore('nyc-001', 2, 3)).toEqual([
        { seq: 2, sales: 1, total_minor: 540 },
        { seq: 3, sales: 1, total_minor: 540 },
      ]);
      expect(await warehouse.factSeqsForStore('nowhere-001', 1, 100)).toEqual([]);
    });

    it('factSeqsForStore reports a seq held by two sales', async () => {
      const [first] = sales;
      const twin = { ...first!, event_id: '01900000-0000-7000-8000-000000000001' };
      await warehouse.replaceFacts(DST_DAY, factsOf([...sales, twin], DST_DAY));
      const [seqOne] = await warehouse.factSeqsForStore('nyc-001', 1, 1);
      expect(seqOne).toEqual({ seq: 1, sales: 2, total_minor: 2 * 1296 });
    });
  });
}
