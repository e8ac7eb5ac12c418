/**
 * ClickHouse warehouse against the project's real server (18.16 here; the SQL is written to run on current
 * releases too). Each warehouse lives in its own rs_test_<random> database, dropped after the file.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredSale } from '@retail-sync/libs/domain';
import type { WarehousePort } from '@retail-sync/libs/ports';
import { defineJob } from '../../engine/job.ts';
import { Scheduler } from '../../engine/scheduler.ts';
import { reconcileDay } from '../../jobs/reconcile_daily.ts';
import { sales_rollups, toFactLines } from '../../jobs/sales_rollups.ts';
import { DAY_BEFORE, DST_DAY, InMemoryDeadLetters, InMemoryOrderStore, lateSale, nyc, rollupDataset, silentLogger, storedSale, testRunner, yyz } from '../../testing/index.ts';
import { describeSalesRollupsJob } from '../../testing/sales-rollups-suite.ts';
import { DuckDbWarehouse } from '../duckdb/index.ts';
import { ANALYST_VIEWS, ROLLUP_NAMES } from '../rollups.ts';
import { describeEngineStoresContract } from '../../engine/engine-stores.contract.ts';
import { describeWarehouseContract } from '../warehouse.contract.ts';
import { ClickHouseSession } from './clickhouse-session.ts';
import { ClickHouseWarehouse } from './clickhouse-warehouse.ts';
import { clickHouseWarehouseOptionsSchema } from './config.ts';
import { applyMigrations, readMigrations } from './migrations.ts';
import { adminSession, dropTestDatabases, openTestWarehouse, requireClickHouseUrl, testDatabaseName } from './testing/clickhouse-test-env.ts';

requireClickHouseUrl();

afterAll(async () => {
  await dropTestDatabases();
});

describeWarehouseContract('clickhouse', () => openTestWarehouse());
describeWarehouseContract('clickhouse (2-row insert batches)', () => openTestWarehouse({ insertBatchRows: 2 }));
describeSalesRollupsJob('clickhouse', () => openTestWarehouse());

const factsOf = (sales: StoredSale[], date: string) => sales.filter((sale) => sale.business_date === date).flatMap(toFactLines);

/** Every row of a table or view, in a dialect-neutral order. */
async function allRows(warehouse: WarehousePort, table: string): Promise<Array<Record<string, unknown>>> {
  const rows = await warehouse.query(`SELECT * FROM ${table}`);
  return rows.map((row) => JSON.stringify(row, Object.keys(row).sort())).sort().map((text) => JSON.parse(text) as Record<string, unknown>);
}

/** A seeded pseudo-random generator (mulberry32): the same dataset on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Many sales over a few stores, SKUs and days, with refunds and voids: odd ratios for every rounding rule. */
function randomSales(count: number, seed: number): StoredSale[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const stores = [nyc, yyz, { store_id: 'lon-001', region: 'europe', timezone: 'Europe/London', currency: 'GBP' }];
  const seqs = new Map<string, number>();
  return Array.from({ length: count }, () => {
    const store = pick(stores);
    const seq = (seqs.get(store.store_id) ?? 0) + 1;
    seqs.set(store.store_id, seq);
    const occurred = new Date(Date.UTC(2026, 10, 1 + Math.floor(random() * 3), Math.floor(random() * 24), Math.floor(random() * 60), Math.floor(random() * 60)));
    const lines = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
      const qty = 1 + Math.floor(random() * 7);
      const price = 50 + Math.floor(random() * 5_000);
      return { sku: `SKU-${Math.floor(random() * 15)}`, category: pick(['grocery', 'household', 'electronics']), qty, unit_price_minor: price, discount_minor: random() < 0.3 ? Math.floor(random() * price * qty * 0.2) : 0, unit_cost_minor: Math.floor(price * (0.3 + random() * 0.9)) };
    });
    const roll = random();
    const type = roll < 0.1 ? 'refund' : roll < 0.15 ? 'void' : 'sale';
    return storedSale({ store, seq, occurred_at: occurred.toISOString(), type, tax_minor: Math.floor(random() * 300), lines });
  });
}

describe('ClickHouse gives the same tables as DuckDB', () => {
  let clickhouse: ClickHouseWarehouse;
  let duckdb: DuckDbWarehouse;

  beforeEach(async () => {
    clickhouse = await openTestWarehouse();
    duckdb = await DuckDbWarehouse.open({ path: ':memory:' });
    await Promise.all([clickhouse.migrate(), duckdb.migrate()]);
  });

  afterEach(async () => {
    await Promise.all([clickhouse.close(), duckdb.close()]);
  });

  it('on the fixed dataset and on 1500 random sales, in every table and analyst view', async () => {
    const sales = [...rollupDataset(), lateSale(), ...randomSales(1_500, 20261101)];
    const dates = [...new Set(sales.map((sale) => sale.business_date))].sort();
    const orderStore = new InMemoryOrderStore();
    await orderStore.putSales(sales);
    for (const sale of sales) await orderStore.recordStoreProgress(sale.store_id, sale.seq, sale.occurred_at);
    const checkedAt = new Date('2026-11-24T12:00:00Z');
    for (const warehouse of [clickhouse, duckdb]) {
      for (const date of dates) {
        await warehouse.replaceFacts(date, factsOf(sales, date));
        for (const rollup of ROLLUP_NAMES) await warehouse.runRollup(rollup, date);
        const reconciled = await reconcileDay({ businessDate: date, runId: 'same-run', orderStore, deadLetters: new InMemoryDeadLetters(), warehouse, now: checkedAt });
        await warehouse.replaceReconcileResults(date, reconciled);
      }
    }
    for (const table of [...ROLLUP_NAMES, ...ANALYST_VIEWS]) {
      const expected = await allRows(duckdb, table);
      expect(expected.length, table).toBeGreaterThan(0);
      expect(await allRows(clickhouse, table), table).toEqual(expected);
    }
    for (const store of ['nyc-001', 'yyz-001', 'lon-001']) {
      const expected = await duckdb.factSeqsForStore(store, 1, 10_000);
      expect(expected.length, store).toBeGreaterThan(0);
      expect(await clickhouse.factSeqsForStore(store, 1, 10_000), store).toEqual(expected);
    }
  });
});

describe('ClickHouseWarehouse', () => {
  let warehouse: ClickHouseWarehouse;

  beforeEach(async () => {
    warehouse = await openTestWarehouse();
    await warehouse.migrate();
  });

  afterEach(async () => {
    await warehouse.close();
  });

  it('creates every analyst view and the engine tables in its own database', async () => {
    const tables = await warehouse.query<{ name: string; engine: string }>('SELECT name, engine FROM system.tables WHERE database = currentDatabase()');
    expect(tables.filter((table) => table.engine === 'View').map((table) => table.name).sort()).toEqual([...ANALYST_VIEWS].sort());
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['fact_sales_line', ...ROLLUP_NAMES, 'dag_runs', 'dag_leases', 'dag_job_state', 'schema_migrations']));
  });

  it('a partition run twice gives identical tables and leaves no staging table behind', async () => {
    const orderStore = new InMemoryOrderStore();
    await orderStore.putSales(rollupDataset());
    const runner = testRunner({ resources: { warehouse, orderStore, deadLetters: new InMemoryDeadLetters() }, stores: warehouse.engineStores() });
    expect((await runner.runPartition(sales_rollups, DST_DAY)).status).toBe('succeeded');
    const tables = ['fact_sales_line', ...ROLLUP_NAMES];
    const once = await Promise.all(tables.map((table) => allRows(warehouse, table)));
    expect((await runner.runPartition(sales_rollups, DST_DAY)).status).toBe('succeeded');
    expect(await Promise.all(tables.map((table) => allRows(warehouse, table)))).toEqual(once);
    const staging = await warehouse.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%__stage_%'");
    expect(staging).toEqual([]);
  });

  it('keeps text with quotes, backslashes and unicode intact, and a null customer hash null', async () => {
    const [fact] = rollupDataset().flatMap(toFactLines);
    const receipt = `O'Brien "№5" \\ back\tslash`;
    await warehouse.replaceFacts(fact!.business_date, [{ ...fact!, receipt_no: receipt, customer_hash: null }]);
    const rows = await warehouse.query<{ receipt_no: string; customer_hash: string | null; occurred_at: string }>('SELECT receipt_no, customer_hash, occurred_at FROM fact_sales_line');
    expect(rows).toEqual([{ receipt_no: receipt, customer_hash: null, occurred_at: '2026-11-01T05:30:00.000Z' }]);
    expect(await warehouse.query('SELECT count() AS n FROM fact_sales_line WHERE receipt_no = {receipt:String}', { receipt })).toEqual([{ n: 1 }]);
  });

  it('binds typed parameters client-side and refuses a value of the wrong type', async () => {
    expect(await warehouse.query('SELECT {day:Date} AS day, {n:Int64} AS n, {s:Nullable(String)} AS s', { day: DST_DAY, n: -5, s: null })).toEqual([
      { day: `${DST_DAY}T00:00:00.000Z`, n: -5, s: null },
    ]);
    await expect(warehouse.query('SELECT {day:Date} AS day', { day: "2026-11-01') OR (1" })).rejects.toMatchObject({ code: 'RS_ERR_WAREHOUSE_QUERY' });
    await expect(warehouse.query('SELECT {n:Int64} AS n', { n: '1; DROP TABLE x' })).rejects.toMatchObject({ code: 'RS_ERR_WAREHOUSE_QUERY' });
  });

  it('reports bad SQL as a non-retriable RS_ERR_WAREHOUSE_QUERY naming the server code', async () => {
    await expect(warehouse.query('SELEC 1')).rejects.toMatchObject({ code: 'RS_ERR_WAREHOUSE_QUERY', retriable: false, message: expect.stringContaining('Code: 62') });
    await expect(warehouse.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: 'RS_ERR_WAREHOUSE_QUERY', message: expect.stringContaining('Code: 60') });
  });

  it('reports an unreachable server as the retriable RS_ERR_DEPENDENCY_UNAVAILABLE', async () => {
    const nowhere = await ClickHouseWarehouse.open({ url: 'http://127.0.0.1:1', database: testDatabaseName(), requestTimeoutMs: 2_000 });
    try {
      await expect(nowhere.migrate()).rejects.toMatchObject({ code: 'RS_ERR_DEPENDENCY_UNAVAILABLE', retriable: true });
    } finally {
      await nowhere.close();
    }
  });
});

describe('ClickHouse migration runner', () => {
  let dir: string;
  let session: ClickHouseSession;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-dags-ch-migrations-'));
    const source = join(clickHouseWarehouseOptionsSchema.parse({}).sqlDir, 'migrations');
    for (const file of readdirSync(source)) copyFileSync(join(source, file), join(dir, file));
    const database = testDatabaseName();
    const admin = adminSession();
    await admin.command(`CREATE DATABASE ${database}`);
    await admin.close();
    session = new ClickHouseSession({ url: requireClickHouseUrl(), database, username: 'default', password: '', requestTimeoutMs: 60_000 });
  });

  afterEach(async () => {
    await session.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration once and records it; a second pass applies nothing and changes nothing', async () => {
    const first = await applyMigrations(session, readMigrations(dir));
    expect(first).toEqual(['0001_fact_sales_line', '0002_rollup_tables', '0003_analyst_views', '0004_engine_tables', '0005_reconcile_results']);
    const schema = () => session.rows('SELECT name, engine, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name');
    const before = await schema();
    expect(await applyMigrations(session, readMigrations(dir))).toEqual([]);
    expect(await schema()).toEqual(before);
    const recorded = await session.rows<{ version: string }>('SELECT version FROM schema_migrations FINAL ORDER BY version');
    expect(recorded.map((row) => row.version)).toEqual(first);
  });

  it('applies only the new file when one is added', async () => {
    await applyMigrations(session, readMigrations(dir));
    writeFileSync(join(dir, '0006_extra.sql'), '-- 0006 extra; with a semicolon in a comment\nCREATE TABLE IF NOT EXISTS extra (x Int32) ENGINE = MergeTree ORDER BY x;\n');
    expect(await applyMigrations(session, readMigrations(dir))).toEqual(['0006_extra']);
  });

  it('refuses to start when an applied migration was edited', async () => {
    await applyMigrations(session, readMigrations(dir));
    writeFileSync(join(dir, '0001_fact_sales_line.sql'), '-- edited\nSELECT 1;\n');
    await expect(applyMigrations(session, readMigrations(dir))).rejects.toMatchObject({ code: 'RS_ERR_MIGRATION_DRIFT' });
  });

  it('records nothing for a failing migration, and completes it once it is fixed', async () => {
    await applyMigrations(session, readMigrations(dir));
    writeFileSync(join(dir, '0006_broken.sql'), 'CREATE TABLE IF NOT EXISTS half_done (x Int32) ENGINE = MergeTree ORDER BY x;\nSELECT * FROM no_such_table;\n');
    await expect(applyMigrations(session, readMigrations(dir))).rejects.toThrow(/no_such_table/);
    expect(await session.rows("SELECT 1 FROM schema_migrations WHERE version = '0006_broken'")).toEqual([]);
    writeFileSync(join(dir, '0006_broken.sql'), 'CREATE TABLE IF NOT EXISTS half_done (x Int32) ENGINE = MergeTree ORDER BY x;\n');
    expect(await applyMigrations(session, readMigrations(dir))).toEqual(['0006_broken']);
  });
});

const T0 = new Date('2026-03-10T00:00:00Z');

describeEngineStoresContract('clickhouse', async () => {
  const warehouse = await openTestWarehouse({ leaseSettleMs: 300 });
  await warehouse.migrate();
  return { stores: warehouse.engineStores(), close: () => warehouse.close() };
});

describe('ClickHouse partition leases across runner processes', () => {
  let warehouse: ClickHouseWarehouse;

  beforeEach(async () => {
    warehouse = await openTestWarehouse({ leaseSettleMs: 300 });
    await warehouse.migrate();
  });

  afterEach(async () => {
    await warehouse.close();
  });

  it('grants one lease when the racers are separate runner processes with their own connections', async () => {
    const database = await warehouse.query<{ db: string }>('SELECT currentDatabase() AS db');
    const replicas = await Promise.all([0, 1, 2].map(() => ClickHouseWarehouse.open({ url: requireClickHouseUrl(), database: database[0]!.db, leaseSettleMs: 300 })));
    try {
      const results = await Promise.all(replicas.map((replica, index) => replica.engineStores().leases.acquire('job', '2026-03-04', `replica-${index}`, 60_000, T0)));
      expect(results.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});

describe('DAG engine on the ClickHouse engine stores', () => {
  let warehouse: ClickHouseWarehouse;
  let orderStore: InMemoryOrderStore;

  beforeEach(async () => {
    warehouse = await openTestWarehouse();
    await warehouse.migrate();
    orderStore = new InMemoryOrderStore();
  });

  afterEach(async () => {
    await warehouse.close();
  });

  it('retries a failing task, skips its dependants, runs the rest and records every attempt', async () => {
    let brokenCalls = 0;
    const job = defineJob({
      id: 'flaky',
      schedule: '* * * * *',
      partition: 'business_date',
      tasks: {
        load: { run: async () => 3 },
        broken: { deps: ['load'], run: async () => { brokenCalls += 1; throw new Error('warehouse hiccup'); } },
        after_broken: { deps: ['broken'], run: async () => 1 },
        independent: { deps: ['load'], run: async () => 2 },
      },
    });
    const run = await testRunner({ resources: {}, stores: warehouse.engineStores(), taskAttempts: 3, retryBackoffMs: 5 }).runPartition(job, DST_DAY);
    expect(run.status).toBe('failed');
    expect(brokenCalls).toBe(3);
    expect(run.tasks.map((task) => [task.task, task.status, task.attempts])).toEqual([
      ['load', 'succeeded', 1],
      ['broken', 'failed', 3],
      ['after_broken', 'skipped', 0],
      ['independent', 'succeeded', 1],
    ]);
    const history = await warehouse.engineStores().history.list({ jobId: 'flaky' });
    expect(history.filter((attempt) => attempt.task === 'broken').map((attempt) => attempt.status).sort()).toEqual(['failed', 'retrying', 'retrying']);
    expect(history.every((attempt) => attempt.run_id === run.run_id && attempt.runner_id === 'test-runner')).toBe(true);
    // the lease was released at the end of the run
    expect(await warehouse.engineStores().leases.acquire('flaky', DST_DAY, 'next', 60_000, new Date())).toBe(true);
  });

  it('backfills sales_rollups over a range: each day once, rolled from its own facts, watermark untouched', async () => {
    await orderStore.putSales(rollupDataset());
    const stores = warehouse.engineStores();
    const scheduler = new Scheduler({
      jobs: [sales_rollups],
      runner: testRunner({ resources: { warehouse, orderStore, deadLetters: new InMemoryDeadLetters() }, stores }),
      orderStore,
      jobState: stores.jobState,
      logger: silentLogger(),
      catchupMaxDays: 31,
    });
    const runs = await scheduler.backfill('sales_rollups', DAY_BEFORE, '2026-11-02');
    expect(runs.map((run) => [run.partition, run.status])).toEqual([
      [DAY_BEFORE, 'succeeded'],
      [DST_DAY, 'succeeded'],
      ['2026-11-02', 'succeeded'],
    ]);
    const daily = await warehouse.query<{ business_date: string; gross_minor: number }>(
      'SELECT business_date, sum(gross_minor) AS gross_minor FROM v_sales_daily_store GROUP BY business_date ORDER BY business_date',
    );
    expect(daily).toEqual([
      { business_date: `${DAY_BEFORE}T00:00:00.000Z`, gross_minor: 540 },
      { business_date: `${DST_DAY}T00:00:00.000Z`, gross_minor: 1836 + 6159 },
    ]);
    expect(await stores.jobState.get('sales_rollups')).toEqual({ job_id: 'sales_rollups', dirty_watermark: null, last_scheduled_at: null });
    await scheduler.stop();
  });
});
