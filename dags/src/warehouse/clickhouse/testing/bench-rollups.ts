/**
 * Measures the ClickHouse adapter on one business day of 100k fact lines: replaceFacts, then each rollup
 * through runRollup (staging table + REPLACE PARTITION + drop) against a bare INSERT … SELECT of the same
 * rollup SQL into a scratch copy of its table. Runs in its own rs_test_<random> database, dropped after.
 *   eval "$(scripts/services env --export)"; npx tsx dags/src/warehouse/clickhouse/testing/bench-rollups.ts [lines]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FactSaleLine } from '@retail-sync/libs/ports';
import { ROLLUP_NAMES } from '../../rollups.ts';
import { ClickHouseSession } from '../clickhouse-session.ts';
import { clickHouseWarehouseOptionsSchema } from '../config.ts';
import { dropTestDatabases, openTestWarehouse, requireClickHouseUrl } from './clickhouse-test-env.ts';

const DAY = '2026-11-01';
const LINES = Number(process.argv[2] ?? 100_000);
const RUNS = 3;

function factLines(count: number): FactSaleLine[] {
  const rows: FactSaleLine[] = [];
  for (let i = 0; rows.length < count; i += 1) {
    const store = i % 20;
    const lines = 1 + (i % 4);
    const type = i % 17 === 0 ? 'refund' : i % 23 === 0 ? 'void' : 'sale';
    for (let line = 1; line <= lines && rows.length < count; line += 1) {
      const qty = 1 + ((i * 7 + line) % 5);
      const price = 100 + ((i * 13 + line * 31) % 4_900);
      rows.push({
        event_id: `ev-${i}`, store_id: `s-${String(store).padStart(3, '0')}`, seq: Math.floor(i / 20) + 1, line_no: line,
        business_date: DAY, business_hour: (i >> 3) % 24, occurred_at: `${DAY}T${String((i >> 3) % 24).padStart(2, '0')}:15:00.000Z`,
        region: `r-${store % 4}`, timezone: 'UTC', currency: store % 3 === 0 ? 'CAD' : 'USD', type, terminal_id: 't1', receipt_no: `r${i}`,
        payment_method: 'card', customer_hash: null, sku: `SKU-${(i * 11 + line) % 500}`, category: `c-${line}`, qty,
        unit_price_minor: price, discount_minor: 0, net_minor: qty * price, unit_cost_minor: Math.floor(price * 0.6),
        receipt_tax_minor: line === 1 ? 80 : 0, receipt_total_minor: line === 1 ? qty * price + 80 : 0,
      });
    }
  }
  return rows;
}

/** Median over RUNS runs of the milliseconds `timed` reports (it may do untimed set-up first). */
async function median(timed: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) times.push(await timed());
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const warehouse = await openTestWarehouse();
  await warehouse.migrate();
  const [current] = await warehouse.query<{ db: string }>('SELECT currentDatabase() AS db');
  const session = new ClickHouseSession({ url: requireClickHouseUrl(), database: current!.db, username: 'default', password: '', requestTimeoutMs: 300_000 });
  const sqlDir = clickHouseWarehouseOptionsSchema.parse({}).sqlDir;
  try {
    const facts = factLines(LINES);
    const load = await median(() => elapsed(() => warehouse.replaceFacts(DAY, facts)));
    console.log(`replaceFacts ${facts.length} lines: ${load.toFixed(0)} ms (median of ${RUNS})`);
    console.log('rollup | runRollup ms | bare INSERT…SELECT ms | rows');
    for (const name of ROLLUP_NAMES) {
      const rollupMs = await median(() => elapsed(() => warehouse.runRollup(name, DAY)));
      const columns = (await session.rows<{ name: string }>(`DESCRIBE TABLE ${name}`)).map((column) => column.name).join(', ');
      await session.command(`CREATE TABLE bench_${name} AS ${name}`);
      const select = readFileSync(join(sqlDir, 'rollups', `${name}.sql`), 'utf8');
      const bareMs = await median(async () => {
        await session.command(`TRUNCATE TABLE bench_${name}`);
        return elapsed(() => session.command(`INSERT INTO bench_${name} (${columns}) SELECT ${columns} FROM (${select})`, { business_date: DAY }));
      });
      const [count] = await session.rows<{ n: number }>(`SELECT count() AS n FROM ${name}`);
      console.log(`${name} | ${rollupMs.toFixed(0)} | ${bareMs.toFixed(0)} | ${count!.n}`);
    }
  } finally {
    await session.close();
    await warehouse.close();
    await dropTestDatabases();
  }
}

await main();
