import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toFactLines } from '../../jobs/sales_rollups.ts';
import { DST_DAY, rollupDataset } from '../../testing/index.ts';
import { describeWarehouseContract } from '../warehouse.contract.ts';
import { DuckDbWarehouse } from './duckdb-warehouse.ts';

describeWarehouseContract('duckdb (in memory)', () => DuckDbWarehouse.open({ path: ':memory:' }));
describeWarehouseContract('duckdb (in memory, 2-row insert batches)', () => DuckDbWarehouse.open({ path: ':memory:', insertBatchRows: 2 }));

describe('DuckDbWarehouse on a file', () => {
  const dirs: string[] = [];

  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps facts and applied migrations across a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-dags-warehouse-'));
    dirs.push(dir);
    const path = join(dir, 'warehouse', 'warehouse.duckdb');
    const facts = rollupDataset().filter((sale) => sale.business_date === DST_DAY).flatMap(toFactLines);

    const first = await DuckDbWarehouse.open({ path });
    await first.migrate();
    await first.replaceFacts(DST_DAY, facts);
    await first.close();

    const second = await DuckDbWarehouse.open({ path });
    await second.migrate();
    const [count] = await second.query<{ rows: number }>('SELECT count(*) AS rows FROM fact_sales_line');
    const migrations = await second.query('SELECT version FROM schema_migrations');
    await second.close();
    expect(count!.rows).toBe(facts.length);
    expect(migrations).toHaveLength(5);
  });

  it('keeps a text value with quotes and unicode intact through the JSON load', async () => {
    const warehouse = await DuckDbWarehouse.open({ path: ':memory:' });
    await warehouse.migrate();
    const [fact] = rollupDataset().flatMap(toFactLines);
    await warehouse.replaceFacts(fact!.business_date, [{ ...fact!, receipt_no: `O'Brien "№5"`, customer_hash: null }]);
    const rows = await warehouse.query<{ receipt_no: string; customer_hash: string | null }>('SELECT receipt_no, customer_hash FROM fact_sales_line');
    await warehouse.close();
    expect(rows).toEqual([{ receipt_no: `O'Brien "№5"`, customer_hash: null }]);
  });
});
