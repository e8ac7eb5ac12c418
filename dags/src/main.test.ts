import { afterEach, describe, expect, it } from 'vitest';
import { loadDagsConfig } from './config.ts';
import { startDagRunner, type DagRunner } from './main.ts';
import { DST_DAY, InMemoryDeadLetters, InMemoryOrderStore, rollupDataset, silentLogger } from './testing/index.ts';

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
    expect(await (await fetch(`${dags.url}/healthz`)).json()).toEqual({ status: 'ok' });
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
});
