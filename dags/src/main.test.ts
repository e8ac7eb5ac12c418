import { afterEach, describe, expect, it } from 'vitest';
import { loadDagsConfig } from './config.ts';
import { startDagRunner, type DagRunner } from './main.ts';
import { DAY_BEFORE, DST_DAY, InMemoryDeadLetters, InMemoryOrderStore, rollupDataset, silentLogger } from './testing/index.ts';

describe('startDagRunner', () => {
  let runner: DagRunner | undefined;

  afterEach(async () => {
    await runner?.close();
    runner = undefined;
  });

  async function start(orderStore = new InMemoryOrderStore()): Promise<DagRunner> {
    const config = loadDagsConfig({ RS_WAREHOUSE_PATH: ':memory:', RS_DAGS_PORT: '0', RS_DAG_RETRY_BACKOFF_MS: '0' });
    runner = await startDagRunner(config, { orderStore, deadLetters: new InMemoryDeadLetters(), logger: silentLogger() });
    return runner;
  }

  it('rolls stored sales on runDirty and reconciles them', async () => {
    const orderStore = new InMemoryOrderStore();
    const sales = rollupDataset();
    await orderStore.putSales(sales);
    const dags = await start(orderStore);
    await dags.runDirty();
    const [gross] = await dags.warehouse.query<{ gross_minor: number }>(`SELECT sum(gross_minor)::BIGINT AS gross_minor FROM v_sales_daily_store WHERE business_date = DATE '${DST_DAY}'`);
    expect(gross!.gross_minor).toBe(1836 + 6159);

    const report = await dags.reconcile([{ store_id: 'nyc-001', acked_high_water: 5 }, { store_id: 'yyz-001', acked_high_water: 2 }]);
    expect(report.totals).toEqual({ stores: 2, accepted: 7, stored: 7, warehouse: 7, dead_lettered: 0, missing: 0, duplicated: 0 });
  });

  it('answers health, readiness and run history over HTTP on 127.0.0.1', async () => {
    const dags = await start();
    expect(dags.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await dags.backfill('sales_rollups', '2026-03-01', '2026-03-02');
    expect(await (await fetch(`${dags.url}/healthz`)).json()).toEqual({ status: 'ok', pid: process.pid });
    expect((await fetch(`${dags.url}/readyz`)).status).toBe(200);

    const body = (await (await fetch(`${dags.url}/v1/dags/runs?job=sales_rollups&partition=2026-03-01`)).json()) as { runs: Array<{ partition: string; status: string; tasks: unknown[] }> };
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ partition: '2026-03-01', status: 'succeeded' });
    expect(body.runs[0]!.tasks).toHaveLength(8);

    const unknown = await fetch(`${dags.url}/v1/dags/runs?job=nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'RS_ERR_UNKNOWN_JOB' } });
  });

  it('rejects an unknown job on manual runs', async () => {
    const dags = await start();
    await expect(dags.runPartitions('nope', ['2026-03-01'])).rejects.toMatchObject({ code: 'RS_ERR_UNKNOWN_JOB' });
  });

  it('backfills over HTTP: 202 with an id, then progress to the end; unknown ids and bad bodies answer with a code', async () => {
    const orderStore = new InMemoryOrderStore();
    await orderStore.putSales(rollupDataset());
    const dags = await start(orderStore);
    const post = await fetch(`${dags.url}/v1/dags/backfill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job: 'sales_rollups', from: DAY_BEFORE, to: DST_DAY }) });
    expect(post.status).toBe(202);
    const { backfill } = (await post.json()) as { backfill: { backfill_id: string; total: number } };
    expect(backfill.total).toBe(2);
    await dags.backfills.wait(backfill.backfill_id);
    const progress = (await (await fetch(`${dags.url}/v1/dags/backfill/${backfill.backfill_id}`)).json()) as { backfill: Record<string, unknown> };
    expect(progress.backfill).toMatchObject({ status: 'succeeded', total: 2, done: 2, succeeded: 2, failed: 0, skipped: 0, failures: [] });

    const missing = await fetch(`${dags.url}/v1/dags/backfill/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'RS_ERR_UNKNOWN_BACKFILL' } });
    const unknownJob = await fetch(`${dags.url}/v1/dags/backfill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job: 'nope', from: DST_DAY, to: DST_DAY }) });
    expect(unknownJob.status).toBe(404);
    expect(await unknownJob.json()).toMatchObject({ error: { code: 'RS_ERR_UNKNOWN_JOB' } });
    const badDate = await fetch(`${dags.url}/v1/dags/backfill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job: 'sales_rollups', from: '2026-13-01', to: DST_DAY }) });
    expect(badDate.status).toBe(400);
  });

  it('reconciles one day per store over HTTP and exposes the result as a metric', async () => {
    const orderStore = new InMemoryOrderStore();
    const sales = rollupDataset();
    await orderStore.putSales(sales);
    await orderStore.recordStoreProgress('nyc-001', 5, DST_DAY);
    await orderStore.recordStoreProgress('yyz-001', 2, DST_DAY);
    const dags = await start(orderStore);
    await dags.runPartitions('sales_rollups', [DST_DAY]);
    orderStore.deleteSale(sales.find((sale) => sale.store_id === 'yyz-001' && sale.seq === 2)!.event_id);

    const post = await fetch(`${dags.url}/v1/dags/reconcile`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ date: DST_DAY }) });
    expect(post.status).toBe(200);
    const body = (await post.json()) as { lines: string[]; line: string; summary: Record<string, number> };
    expect(body.lines).toHaveLength(2);
    expect(body.lines[1]).toMatch(/^store=yyz-001 .* seq_gaps=1 status=mismatch gap_seqs=2$/);
    expect(body.line).toBe(`reconcile-day: date=${DST_DAY} stores=2 match=1 mismatched=1 seq_gaps=1`);
    const stored = (await (await fetch(`${dags.url}/v1/dags/reconcile?date=${DST_DAY}`)).json()) as { line: string };
    expect(stored.line).toBe(body.line);

    const metrics = await (await fetch(`${dags.url}/metrics`)).text();
    expect(metrics).toContain('retail_sync_reconcile_mismatches{kind="mismatched"} 1');
    expect(metrics).toContain('retail_sync_reconcile_mismatches{kind="seq_gaps"} 1');
    expect(metrics).toMatch(/retail_sync_dag_partition_runs_total\{job="reconcile_daily",status="succeeded"\} 1/);
    expect((await fetch(`${dags.url}/v1/dags/reconcile?date=yesterday`)).status).toBe(400);
  });
});
