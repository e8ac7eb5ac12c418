/**
 * Backfill benchmark: simulated sales of the seed catalog's stores (default 20 stores × 30 days × ~200
 * sales per store-day, 1–8 lines a basket, some refunds and voids) written straight into the order store,
 * then `sales_rollups` backfilled over the whole range through the engine (leases, run history, staging +
 * partition swap), timed against raw `INSERT … SELECT`s of the same rows in the same run: a copy of every
 * fact row, and every rollup's SELECT for every day into scratch tables, with no engine around them.
 *   production (Cassandra → ClickHouse; own rs_test_<random> keyspace and database, dropped after):
 *     eval "$(scripts/services env --export)"; npx tsx dags/src/testing/bench-backfill.ts [--days 30] [--stores 20] [--sales 200] [--concurrency 1]
 *   embedded (embedded order store → DuckDB, in a temp dir):  … bench-backfill.ts --profile embedded
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '@retail-sync/libs/config';
import { cassandraConfigSchema, CassandraSession, createCassandraDeadLetters, createCassandraOrderStore } from '@retail-sync/libs/cassandra';
import { businessTimeOf, datesBetween, type StoredSale } from '@retail-sync/libs/domain';
import { EmbeddedDeadLetters, EmbeddedOrderStore } from '@retail-sync/libs/embedded';
import type { DeadLetterPort, OrderStorePort } from '@retail-sync/libs/ports';
import { Backfills } from '../engine/backfill.ts';
import { addDays } from '../engine/partitions.ts';
import { sales_rollups } from '../jobs/sales_rollups.ts';
import { reconcile_daily } from '../jobs/reconcile_daily.ts';
import type { DagWarehouse } from '../warehouse/dag-warehouse.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/index.ts';
import { ROLLUP_NAMES } from '../warehouse/rollups.ts';
import { ClickHouseSession } from '../warehouse/clickhouse/clickhouse-session.ts';
import { dropTestDatabases, openTestWarehouse, requireClickHouseUrl } from '../warehouse/clickhouse/testing/clickhouse-test-env.ts';
import { silentLogger, testRunner } from './engine.ts';
import { storedSale, type TestLine } from './sales.ts';

const { values: args } = parseArgs({
  options: {
    profile: { type: 'string', default: 'production' },
    days: { type: 'string', default: '30' },
    stores: { type: 'string', default: '20' },
    sales: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1' },
    first: { type: 'string', default: '2026-09-01' },
  },
});
const DAYS = Number(args.days);
const SALES_PER_STORE_DAY = Number(args.sales);
const FIRST_DAY = args.first!;
const catalog = JSON.parse(readFileSync(new URL('../../../data/seed/catalog.json', import.meta.url), 'utf8')) as {
  stores: Array<{ store_id: string; region: string; timezone: string; currency: string; price_factor: number }>;
  products: Array<{ sku: string; category: string; list_price_minor: number; unit_cost_minor: number }>;
};
const stores = catalog.stores.slice(0, Number(args.stores));

/** mulberry32: the same sales every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Per store: SALES_PER_STORE_DAY sales a day, trading 08:00–22:00 store time, seqs in time order. */
function simulate(): StoredSale[] {
  const random = prng(42);
  const out: StoredSale[] = [];
  for (const store of stores) {
    const instants: number[] = [];
    for (const day of datesBetween(FIRST_DAY, addDays(FIRST_DAY, DAYS - 1))) {
      // Local 08:00 is UTC 08:00 minus the zone's whole-hour offset (the business date is computed from the instant anyway).
      const noon = businessTimeOf(`${day}T12:00:00Z`, store.timezone);
      const offsetHours = noon.businessHour - 12 + (noon.businessDate > day ? 24 : noon.businessDate < day ? -24 : 0);
      const opensAt = Date.parse(`${day}T08:00:00Z`) - offsetHours * 3_600_000;
      for (let i = 0; i < SALES_PER_STORE_DAY; i += 1) instants.push(opensAt + Math.floor(random() * 14 * 3_600_000));
    }
    instants.sort((a, b) => a - b);
    const receipts: string[] = [];
    instants.forEach((at, index) => {
      const seq = index + 1;
      const roll = random();
      const type = roll < 0.01 && receipts.length > 0 ? 'void' : roll < 0.05 && receipts.length > 0 ? 'refund' : 'sale';
      let lineCount = 1;
      while (lineCount < 8 && random() < 0.55) lineCount += 1;
      const lines: TestLine[] = Array.from({ length: type === 'sale' ? lineCount : 1 }, () => {
        const product = catalog.products[Math.floor(random() * catalog.products.length)]!;
        const qty = random() < 0.8 ? 1 : 2 + Math.floor(random() * 3);
        const price = Math.round(product.list_price_minor * store.price_factor);
        return { sku: product.sku, category: product.category, qty, unit_price_minor: price, discount_minor: random() < 0.1 ? Math.floor(price * qty * 0.1) : 0, unit_cost_minor: Math.round(product.unit_cost_minor * store.price_factor) };
      });
      const receipt = `r${seq}`;
      if (type === 'sale') receipts.push(receipt);
      const net = lines.reduce((sum, l) => sum + l.qty * l.unit_price_minor - (l.discount_minor ?? 0), 0);
      out.push(storedSale({
        store, seq, occurred_at: new Date(at).toISOString(), type, terminal_id: `t${1 + (seq % 4)}`, receipt_no: receipt,
        original_receipt_no: type === 'sale' ? undefined : receipts[Math.floor(random() * receipts.length)], tax_minor: Math.round(net * 0.08), lines,
      }));
    });
  }
  return out;
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  console.log(`${label}: ${(ms / 1000).toFixed(2)} s`);
  return { ms, result };
}

interface Deployment {
  warehouse: DagWarehouse;
  orderStore: OrderStorePort;
  deadLetters: DeadLetterPort;
  /** Raw statement on the warehouse, no engine. */
  exec(sql: string, params?: Record<string, unknown>): Promise<void>;
  /** INSERT of rollup `name`'s SELECT for {business_date} into bench_<name>, columns matched by name. */
  rawRollupInsert(name: string): Promise<string>;
  copyTable(table: string, copy: string): string;
  close(): Promise<void>;
}

async function openProduction(): Promise<Deployment> {
  const keyspace = `rs_test_${randomBytes(5).toString('hex')}`;
  const config = loadConfig(cassandraConfigSchema, { ...process.env, RS_CASSANDRA_KEYSPACE: keyspace });
  const orderStore = await createCassandraOrderStore(config);
  const deadLetters = await createCassandraDeadLetters(config);
  await orderStore.migrate();
  await deadLetters.migrate();
  const warehouse = await openTestWarehouse({ requestTimeoutMs: 600_000 });
  await warehouse.migrate();
  const [database] = await warehouse.query<{ name: string }>('SELECT currentDatabase() AS name');
  const session = new ClickHouseSession({ url: requireClickHouseUrl(), database: database!.name, username: 'default', password: '', requestTimeoutMs: 600_000 });
  const sqlDir = new URL('../../sql/clickhouse/rollups/', import.meta.url);
  return {
    warehouse, orderStore, deadLetters,
    exec: (sql, params) => session.command(sql, params as Record<string, string | number>),
    rawRollupInsert: async (name) => {
      const columns = (await session.rows<{ name: string }>(`DESCRIBE TABLE ${name}`)).map((column) => column.name).join(', ');
      return `INSERT INTO bench_${name} (${columns}) SELECT ${columns} FROM (${readFileSync(new URL(`${name}.sql`, sqlDir), 'utf8')})`;
    },
    copyTable: (table, copy) => `CREATE TABLE ${copy} AS ${table}`,
    close: async () => {
      await Promise.all([warehouse.close(), orderStore.close(), deadLetters.close(), session.close()]);
      const admin = await CassandraSession.acquire(config);
      await admin.client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
      await admin.release();
      await dropTestDatabases();
    },
  };
}

async function openEmbedded(): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'rs-bench-backfill-'));
  const orderStore = await EmbeddedOrderStore.open(join(dir, 'orders.duckdb'));
  const deadLetters = await EmbeddedDeadLetters.open(join(dir, 'orders.duckdb'));
  await orderStore.migrate();
  await deadLetters.migrate();
  const warehouse = await DuckDbWarehouse.open({ path: join(dir, 'warehouse.duckdb') });
  await warehouse.migrate();
  const sqlDir = new URL('../../sql/duckdb/rollups/', import.meta.url);
  return {
    warehouse, orderStore, deadLetters,
    exec: async (sql, params) => void (await warehouse.query(sql, params)),
    rawRollupInsert: async (name) => `INSERT INTO bench_${name} BY NAME ${readFileSync(new URL(`${name}.sql`, sqlDir), 'utf8')}`,
    copyTable: (table, copy) => `CREATE TABLE ${copy} AS SELECT * FROM ${table} LIMIT 0`,
    close: async () => {
      await Promise.all([warehouse.close(), orderStore.close(), deadLetters.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const production = args.profile === 'production';
  const deployment = production ? await openProduction() : await openEmbedded();
  const { warehouse, orderStore } = deployment;
  try {
    const sales = simulate();
    const dates = [...new Set(sales.map((sale) => sale.business_date))].sort();
    const lines = sales.reduce((sum, sale) => sum + sale.lines.length, 0);
    console.log(`profile=${args.profile} stores=${stores.length} days=${DAYS} sales=${sales.length} fact_lines=${lines} business_dates=${dates[0]}..${dates.at(-1)} (${dates.length})`);
    await timed('order store putSales (not part of the comparison)', async () => {
      for (let start = 0; start < sales.length; start += 1_000) await orderStore.putSales(sales.slice(start, start + 1_000));
    });
    for (const store of stores) await orderStore.recordStoreProgress(store.store_id, sales.filter((s) => s.store_id === store.store_id).length, new Date().toISOString());

    const runner = testRunner({ resources: deployment, stores: warehouse.engineStores(), runnerId: 'bench' });
    const backfills = new Backfills({ runner, jobs: [sales_rollups, reconcile_daily], logger: silentLogger() });
    const concurrency = Number(args.concurrency);
    const run = async (jobId: string) => {
      const started = backfills.start(jobId, dates[0]!, dates.at(-1)!, concurrency);
      const done = (await backfills.wait(started.backfill_id))!;
      if (done.status !== 'succeeded') throw new Error(`${jobId} backfill ${done.status}: ${JSON.stringify(done.failures.slice(0, 3))}`);
      return done;
    };
    const backfill = await timed(`backfill sales_rollups ${dates.length} days (concurrency ${concurrency}: read order store, replace facts, 7 rollups per day)`, () => run('sales_rollups'));
    const reconcile = await timed(`backfill reconcile_daily ${dates.length} days`, () => run('reconcile_daily'));
    const [facts] = await warehouse.query<{ n: number }>('SELECT count(*) AS n FROM fact_sales_line');
    const mismatched = await warehouse.reconcileProblemTotals();
    console.log(`facts=${facts!.n} rows_written=${backfill.result.rows} reconcile: ${JSON.stringify(mismatched)} (${reconcile.result.succeeded} days)`);

    const reads = await timed(`order store reads alone (salesForDate × ${dates.length}, the load's input)`, async () => {
      for (const date of dates) await orderStore.salesForDate(date);
    });
    await deployment.exec(deployment.copyTable('fact_sales_line', 'bench_fact_copy'));
    const rawFacts = await timed(`raw INSERT … SELECT of the same ${facts!.n} fact rows`, () => deployment.exec('INSERT INTO bench_fact_copy SELECT * FROM fact_sales_line'));
    const inserts = new Map<string, string>();
    for (const name of ROLLUP_NAMES) {
      await deployment.exec(deployment.copyTable(name, `bench_${name}`));
      inserts.set(name, await deployment.rawRollupInsert(name));
    }
    const rawRollups = await timed(`raw INSERT … SELECT of the 7 rollups × ${dates.length} days (no staging, no swap, no engine)`, async () => {
      for (const date of dates) {
        for (const name of ROLLUP_NAMES) await deployment.exec(inserts.get(name)!, { business_date: date });
      }
    });
    console.log(
      `summary: backfill=${(backfill.ms / 1000).toFixed(2)}s raw_fact_copy=${(rawFacts.ms / 1000).toFixed(2)}s raw_rollups=${(rawRollups.ms / 1000).toFixed(2)}s ` +
        `order_store_reads=${(reads.ms / 1000).toFixed(2)}s per_day_backfill=${(backfill.ms / dates.length).toFixed(0)}ms reconcile=${(reconcile.ms / 1000).toFixed(2)}s`,
    );
  } finally {
    await deployment.close();
  }
}

await main();
