import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDagsConfig, startDagRunner, type DagRunner } from '@retail-sync/dags';
import { EmbeddedDb, EmbeddedDeadLetters, EmbeddedOrderStore } from '@retail-sync/libs/embedded';
import { createLogger } from '@retail-sync/libs/log';
import type { OrderStorePort } from '@retail-sync/libs/ports';
import { storedSaleFixture } from '@retail-sync/libs/testing';
import { runCli } from '../index.ts';

// A real DAG runner in this process (DuckDB in memory, the embedded order store in a temp dir); the CLI
// talks to it over HTTP exactly as it would to `npm start`'s.
const dir = mkdtempSync(join(tmpdir(), 'rs-cli-dag-'));
const ordersPath = join(dir, 'orders.duckdb');
const DAY = '2026-03-08';
const BROKEN_DAY = '2026-03-06';
let orderStore: EmbeddedOrderStore;
let deadLetters: EmbeddedDeadLetters;
let dags: DagRunner;
const sales = [1, 2, 3].map((seq) => storedSaleFixture({ seq })).concat([storedSaleFixture({ store_id: 'bos-001', seq: 1 })]);

beforeAll(async () => {
  orderStore = await EmbeddedOrderStore.open(ordersPath);
  deadLetters = await EmbeddedDeadLetters.open(ordersPath);
  await orderStore.migrate();
  await deadLetters.migrate();
  await orderStore.putSales(sales);
  await orderStore.recordStoreProgress('nyc-001', 3, `${DAY}T20:00:00.000Z`);
  await orderStore.recordStoreProgress('bos-001', 1, `${DAY}T20:00:00.000Z`);
  // One day the order store cannot read: its backfill partition fails.
  const flaky = Object.create(orderStore) as OrderStorePort;
  flaky.salesForDate = async (date) => {
    if (date === BROKEN_DAY) throw new Error('order store read timed out');
    return orderStore.salesForDate(date);
  };
  const config = loadDagsConfig({ RS_WAREHOUSE_PATH: ':memory:', RS_DAGS_PORT: '0', RS_DAG_TASK_ATTEMPTS: '1', RS_DAG_RETRY_BACKOFF_MS: '0' });
  dags = await startDagRunner(config, { orderStore: flaky, deadLetters, logger: createLogger({ service: 'cli-test', level: 'silent' }) });
  await dags.runDirty(); // waits for the start-up tick, so the tests' runs are the only ones
});

afterAll(async () => {
  await dags.close();
  await Promise.all([orderStore.close(), deadLetters.close()]);
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Runs the CLI against the test runner; returns its exit code and what it printed. */
async function cli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const code = await runCli(['--dags-url', dags.url, ...args]);
  process.exitCode = undefined;
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('retail-sync dag backfill', () => {
  it('backfills a range and ends with a summary line, exit 0', async () => {
    const { code, out } = await cli('dag', 'backfill', 'sales_rollups', '--from', '2026-03-07', '--to', DAY);
    expect(code).toBe(0);
    expect(out.at(-1)).toMatch(/^backfill: job=sales_rollups from=2026-03-07 to=2026-03-08 partitions=2 succeeded=2 failed=0 skipped=0 rows=\d+ duration_s=\d+\.\d status=succeeded$/);
    const [facts] = await dags.warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM fact_sales_line WHERE business_date = DATE '${DAY}'`);
    expect(facts!.n).toBe(4);
  });

  it('exits 1 and names the partition when one failed', async () => {
    const { code, out, err } = await cli('dag', 'backfill', 'sales_rollups', '--from', BROKEN_DAY, '--to', '2026-03-07');
    expect(code).toBe(1);
    expect(out.at(-1)).toMatch(/partitions=2 succeeded=1 failed=1 skipped=0 .* status=failed$/);
    expect(err.join('\n')).toContain(`failed ${BROKEN_DAY}: RS_ERR_TASK_FAILED`);
  });

  it('exits 2 on a malformed date or an unknown job, and 3 when the runner cannot be reached', async () => {
    expect((await cli('dag', 'backfill', 'sales_rollups', '--from', '2026-3-1', '--to', DAY)).code).toBe(2);
    expect((await cli('dag', 'backfill', 'no_such_job', '--from', DAY, '--to', DAY)).code).toBe(2);
    const unreachable = await runCliQuiet(['--dags-url', 'http://127.0.0.1:1', 'dag', 'runs']);
    expect(unreachable).toBe(3);
  });
});

describe('retail-sync dag runs', () => {
  it('lists run history as a table, newest first', async () => {
    const { code, out } = await cli('dag', 'runs', '--job', 'sales_rollups', '--limit', '3');
    expect(code).toBe(0);
    const lines = out.join('\n').trim().split('\n');
    expect(lines[0]).toMatch(/^STARTED \(UTC\)\s+JOB\s+PARTITION\s+STATUS\s+DURATION\s+ROWS\s+RETRIES\s+RUNNER\s+ERROR$/);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((row) => row.includes('sales_rollups'))).toBe(true);
  });
});

describe('retail-sync reconcile', () => {
  it('prints one line per store, then the reconcile-day line; exit 0 when all match', async () => {
    await dags.runPartitions('sales_rollups', [DAY]);
    const { code, out } = await cli('reconcile', '--date', DAY);
    expect(out).toEqual([
      'store=bos-001 currency=USD seqs=1-1 acked_hw=1 order_sales=1 warehouse_sales=1 order_total_minor=322 warehouse_total_minor=322 seq_gaps=0 status=match',
      'store=nyc-001 currency=USD seqs=1-3 acked_hw=3 order_sales=3 warehouse_sales=3 order_total_minor=966 warehouse_total_minor=966 seq_gaps=0 status=match',
      `reconcile-day: date=${DAY} stores=2 match=2 mismatched=0 seq_gaps=0`,
    ]);
    expect(code).toBe(0);
  });

  it('exits 1 when a sale went missing from the order store', async () => {
    const db = await EmbeddedDb.acquire(ordersPath);
    await db.run('DELETE FROM sales WHERE event_id = $1', [sales[1]!.event_id]);
    await db.release();
    const { code, out } = await cli('reconcile', '--date', DAY);
    expect(out.at(-1)).toBe(`reconcile-day: date=${DAY} stores=2 match=1 mismatched=1 seq_gaps=1`);
    expect(out[1]).toMatch(/^store=nyc-001 .* order_sales=2 warehouse_sales=3 .* seq_gaps=1 status=mismatch gap_seqs=2$/);
    expect(code).toBe(1);
    const stored = await cli('reconcile', '--date', DAY, '--stored');
    expect(stored.out.at(-1)).toBe(out.at(-1));
  });
});

describe('--help', () => {
  it('answers on every command with exit 0', async () => {
    for (const args of [['dag'], ['dag', 'backfill'], ['dag', 'runs'], ['reconcile']]) {
      const { code, out } = await cli(...args, '--help');
      expect(code, args.join(' ')).toBe(0);
      expect(out.join(''), args.join(' ')).toContain(`Usage: retail-sync ${args.join(' ')}`);
    }
  });
});

async function runCliQuiet(argv: string[]): Promise<number> {
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  const code = await runCli(argv);
  process.exitCode = undefined;
  vi.restoreAllMocks();
  return code;
}
