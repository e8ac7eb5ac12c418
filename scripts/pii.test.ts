/**
 * customer_id never reaches the warehouse or a log. A real demo run (`scripts/demo.ts --keep`) sends
 * simulated sales whose customers are `cust-<n>`; afterwards every log file, the warehouse and the
 * order store's sales are searched for that raw form, byte for byte and (DuckDB compresses strings, so
 * bytes alone prove nothing) through SQL over every text column.
 *
 * Where a raw customer_id MAY live, by design: the store's buffer (the sale as the POS sent it, until
 * central acks it), central's queue payload (sale_json, until the worker stored it) and dead letters
 * (the raw payload an operator replays). Everything after the worker holds only the keyed hash.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_PII_KEY } from '@retail-sync/central';
import { EmbeddedDb } from '@retail-sync/libs/embedded';
import { REPO_ROOT } from './lib/stack.ts';

const RAW_CUSTOMER = /cust-\d+/;
const dataDir = mkdtempSync(join(tmpdir(), 'rs-pii-'));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every text cell of every table (but `skip`) that shows a raw customer id, as `table.column: value`. */
async function rawCustomersIn(path: string, skip: string[] = []): Promise<string[]> {
  const db = await EmbeddedDb.acquire(path);
  try {
    const columns = await db.all<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE data_type IN ('VARCHAR', 'JSON') OR data_type LIKE '%[]' OR data_type LIKE 'STRUCT%' ORDER BY table_name, column_name",
    );
    const found: string[] = [];
    for (const { table_name: table, column_name: column } of columns) {
      if (skip.includes(table)) continue;
      const rows = await db.all<{ value: string }>(`SELECT CAST("${column}" AS VARCHAR) AS value FROM "${table}" WHERE regexp_matches(CAST("${column}" AS VARCHAR), 'cust-[0-9]+') LIMIT 3`);
      found.push(...rows.map((row) => `${table}.${column}: ${row.value.slice(0, 120)}`));
    }
    return found;
  } finally {
    await db.release();
  }
}

beforeAll(() => {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/demo.ts', '--stores', '2', '--events', '600', '--bad-rate', '0.05', '--keep', '--data-dir', dataDir],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, RS_LOG_LEVEL: 'debug' } },
  );
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
}, 200_000);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('customer_id after a demo run', () => {
  it('reached central and was stored only as its keyed hash', async () => {
    const known = new Map(Array.from({ length: 5000 }, (_, i) => [createHmac('sha256', DEV_PII_KEY).update(`cust-${i + 1}`).digest('hex'), `cust-${i + 1}`]));
    const db = await EmbeddedDb.acquire(join(dataDir, 'warehouse', 'warehouse.duckdb'));
    const hashes = (await db.all<{ customer_hash: string }>('SELECT DISTINCT customer_hash FROM fact_sales_line WHERE customer_hash IS NOT NULL')).map((row) => row.customer_hash);
    await db.release();
    expect(hashes.filter((hash) => known.has(hash)).length).toBeGreaterThan(10);
    expect(hashes.every((hash) => /^[0-9a-f]{64}$/.test(hash))).toBe(true);
  });

  it('is still in the store buffer, where it may be (the search finds the raw form where it exists)', () => {
    const segments = filesUnder(join(dataDir, 'store')).filter((file) => RAW_CUSTOMER.test(readFileSync(file).toString('latin1')));
    expect(segments.length).toBeGreaterThan(0);
  });

  it('appears in no log line', () => {
    const logs = filesUnder(join(dataDir, 'logs'));
    expect(logs.length).toBeGreaterThanOrEqual(3);
    const leaks = logs.flatMap((file) =>
      readFileSync(file, 'utf8').split('\n').filter((line) => RAW_CUSTOMER.test(line)).map((line) => `${relative(dataDir, file)}: ${line.slice(0, 200)}`),
    );
    expect(leaks).toEqual([]);
  });

  it('is nowhere in the warehouse, neither in its bytes nor in any text column', async () => {
    const files = filesUnder(join(dataDir, 'warehouse'));
    expect(files.some((file) => file.endsWith('warehouse.duckdb'))).toBe(true);
    expect(files.filter((file) => RAW_CUSTOMER.test(readFileSync(file).toString('latin1')))).toEqual([]);
    expect(await rawCustomersIn(join(dataDir, 'warehouse', 'warehouse.duckdb'))).toEqual([]);
  });

  it("is in none of the order store's tables but the dead letters (whose raw payload is kept by design)", async () => {
    expect(await rawCustomersIn(join(dataDir, 'central', 'orders.duckdb'), ['dead_letters'])).toEqual([]);
  });
});
