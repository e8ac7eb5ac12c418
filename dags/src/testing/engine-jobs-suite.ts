/**
 * The engine and the real jobs (sales_rollups, reconcile_daily) end to end, written once and run per
 * deployment through a factory, BullMQ-style: DuckDB + the embedded order store in the unit project
 * (jobs/engine-jobs.test.ts), ClickHouse + Cassandra against the real servers (jobs/engine-jobs.int.test.ts).
 * What it proves on each: a partition run twice gives identical tables; a late sale re-rolls its day on the
 * next tick and moves the rollup by exactly that sale; a failing task retries, fails the run and its
 * dependants never run; catch-up after a 3-day gap runs each missed day once; two runner replicas never
 * run one partition at once; a sale lost from the order store is a reconciliation mismatch and a seq gap.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredSale } from '@retail-sync/libs/domain';
import type { DeadLetterPort, OrderStorePort } from '@retail-sync/libs/ports';
import { defineJob, type Job, type TaskDefinition } from '../engine/job.ts';
import type { JobRunner, PartitionRun } from '../engine/runner.ts';
import { Scheduler } from '../engine/scheduler.ts';
import { formatReconcileDayLine, reconcile_daily, summarizeReconcileDay } from '../jobs/reconcile_daily.ts';
import type { DagResources } from '../jobs/resources.ts';
import { sales_rollups } from '../jobs/sales_rollups.ts';
import type { DagWarehouse } from '../warehouse/dag-warehouse.ts';
import { ROLLUP_NAMES } from '../warehouse/rollups.ts';
import { silentLogger, testRunner } from './engine.ts';
import { DAY_BEFORE, DST_DAY, lateSale, nyc, rollupDataset } from './rollup-dataset.ts';
import { deadLetter, storedSale } from './sales.ts';

export interface EngineJobsFixture {
  warehouse: DagWarehouse;
  orderStore: OrderStorePort;
  deadLetters: DeadLetterPort;
  /** Another connection to the same warehouse, as a second runner replica would hold. */
  openReplicaWarehouse(): Promise<DagWarehouse>;
  /** Loses a sale the way a broken store would: gone from every order-store table. */
  loseSale(sale: StoredSale): Promise<void>;
  /** Closes what the fixture opened and removes its data. */
  cleanup(): Promise<void>;
}

const TABLES = ['fact_sales_line', ...ROLLUP_NAMES] as const;

/** Every row of a table, dates cut to YYYY-MM-DD and run-specific columns dropped, sorted: comparable across runs and dialects. */
async function tableRows(warehouse: DagWarehouse, table: string): Promise<string[]> {
  const rows = await warehouse.query(`SELECT * FROM ${table}`);
  return rows
    .map(({ run_id: _run, checked_at: _checked, ...row }) => JSON.stringify({ ...row, business_date: String(row.business_date).slice(0, 10) }))
    .sort();
}

const dailyStore = async (warehouse: DagWarehouse, storeId: string, date: string) => {
  const rows = await warehouse.query<{ store_id: string; receipts: number; items: number; gross_minor: number; net_minor: number }>(
    `SELECT store_id, receipts, items, gross_minor, net_minor FROM v_sales_daily_store WHERE business_date = '${date}' AND store_id = '${storeId}'`,
  );
  return rows[0];
};

/** The ```sql blocks of README's "Querying the warehouse". */
function readmeQueries(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Querying the warehouse'));
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((match) => match[1]!.trim());
}

const line = { sku: 'SKU-A', category: 'grocery', qty: 1, unit_price_minor: 500, unit_cost_minor: 300 };

export function describeEngineAndJobs(name: string, factory: () => Promise<EngineJobsFixture>): void {
  describe(`engine and jobs: ${name}`, () => {
    let fixture: EngineJobsFixture;
    let warehouse: DagWarehouse;
    let resources: DagResources;
    let runner: JobRunner<DagResources>;
    let sales: StoredSale[];

    beforeEach(async () => {
      fixture = await factory();
      warehouse = fixture.warehouse;
      resources = { warehouse, orderStore: fixture.orderStore, deadLetters: fixture.deadLetters };
      sales = rollupDataset();
      await fixture.orderStore.putSales(sales);
      await fixture.orderStore.recordStoreProgress('nyc-001', 5, new Date().toISOString());
      await fixture.orderStore.recordStoreProgress('yyz-001', 2, new Date().toISOString());
      runner = testRunner({ resources, stores: warehouse.engineStores() });
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    const runDay = async (date: string) => {
      for (const job of [sales_rollups, reconcile_daily]) expect((await runner.runPartition(job, date)).status, `${job.id} ${date}`).toBe('succeeded');
    };

    it('a partition run twice gives identical tables, reconciliation included', async () => {
      await runDay(DST_DAY);
      const once = await Promise.all([...TABLES, 'reconcile_results'].map((table) => tableRows(warehouse, table)));
      expect(once[0]).toHaveLength(8);
      await runDay(DST_DAY);
      expect(await Promise.all([...TABLES, 'reconcile_results'].map((table) => tableRows(warehouse, table)))).toEqual(once);
      expect(formatReconcileDayLine(summarizeReconcileDay(DST_DAY, await warehouse.reconcileResults(DST_DAY)))).toBe(
        `reconcile-day: date=${DST_DAY} stores=2 match=2 mismatched=0 seq_gaps=0`,
      );
    });

    it('a late sale re-rolls its day on the next tick and moves the rollup by exactly that sale', async () => {
      const stores = warehouse.engineStores();
      const scheduler = new Scheduler({ jobs: [sales_rollups, reconcile_daily], runner, orderStore: fixture.orderStore, jobState: stores.jobState, logger: silentLogger(), catchupMaxDays: 31, watermarkOverlapMs: 0 });
      const first = await scheduler.tick();
      expect(first.filter((run) => run.partition === DST_DAY).map((run) => [run.job_id, run.status])).toEqual([['sales_rollups', 'succeeded'], ['reconcile_daily', 'succeeded']]);
      const nycBefore = await dailyStore(warehouse, 'nyc-001', DST_DAY);
      const yyzBefore = await tableRows(warehouse, 'rollup_sales_daily_store_category');

      await new Promise((resolve) => setTimeout(resolve, 20)); // the write lands strictly after the tick's watermark
      await fixture.orderStore.putSales([lateSale()]); // an offline till's sale, days late: 1 × SKU-A + 40 tax = 540
      await fixture.orderStore.recordStoreProgress('nyc-001', 6, new Date().toISOString());
      const second = await scheduler.tick();
      expect(second.filter((run) => run.partition === DST_DAY).map((run) => [run.job_id, run.status])).toEqual([['sales_rollups', 'succeeded'], ['reconcile_daily', 'succeeded']]);
      expect(second.map((run) => run.partition)).not.toContain(DAY_BEFORE);

      expect(await dailyStore(warehouse, 'nyc-001', DST_DAY)).toEqual({ ...nycBefore, receipts: nycBefore!.receipts + 1, items: nycBefore!.items + 1, gross_minor: nycBefore!.gross_minor + 540, net_minor: nycBefore!.net_minor + 540 });
      const categories = await tableRows(warehouse, 'rollup_sales_daily_store_category');
      expect(categories.filter((row) => row.includes('yyz-001'))).toEqual(yyzBefore.filter((row) => row.includes('yyz-001')));
      expect((await warehouse.reconcileResults(DST_DAY)).find((row) => row.store_id === 'nyc-001')).toMatchObject({ order_sales: 5, warehouse_sales: 5, seq_gaps: 0, status: 'match' });

      const third = await scheduler.tick();
      expect(third.map((run) => run.partition)).not.toContain(DST_DAY);
    });

    it('a failing task is retried, then the run fails and its dependants never run', async () => {
      let reads = 0;
      const flakyStore: OrderStorePort = Object.create(fixture.orderStore) as OrderStorePort;
      flakyStore.salesForDate = async () => {
        reads += 1;
        throw new Error('order store read timed out');
      };
      const failing = testRunner({ resources: { ...resources, orderStore: flakyStore }, stores: warehouse.engineStores(), taskAttempts: 3, retryBackoffMs: 5 });
      const run = await failing.runPartition(sales_rollups, DST_DAY);

      expect(run.status).toBe('failed');
      expect(reads).toBe(3);
      expect(run.tasks.find((task) => task.task === 'load_facts')).toMatchObject({ status: 'failed', attempts: 3 });
      expect(run.tasks.filter((task) => task.task !== 'load_facts').map((task) => task.status)).toEqual(ROLLUP_NAMES.map(() => 'skipped'));
      const history = await warehouse.engineStores().history.list({ jobId: 'sales_rollups', partition: DST_DAY });
      expect(history.filter((attempt) => attempt.task === 'load_facts').map((attempt) => [attempt.attempt, attempt.status]).sort()).toEqual([[1, 'retrying'], [2, 'retrying'], [3, 'failed']]);
      expect(history.filter((attempt) => attempt.task !== 'load_facts').every((attempt) => attempt.status === 'skipped' && attempt.attempt === 0)).toBe(true);
      for (const table of TABLES) expect(await tableRows(warehouse, table), table).toEqual([]);
    });

    it('catch-up after a 3-day gap runs each missed day exactly once', async () => {
      let now = new Date('2030-03-10T02:00:00Z');
      const stores = warehouse.engineStores();
      const scheduler = new Scheduler({ jobs: [sales_rollups, reconcile_daily], runner, orderStore: fixture.orderStore, jobState: stores.jobState, logger: silentLogger(), catchupMaxDays: 31, clock: () => now });
      await scheduler.tick();
      // Down from the 10th to the 13th while stores kept selling on the 11th and 12th.
      await fixture.orderStore.putSales([
        storedSale({ store: nyc, seq: 6, occurred_at: '2030-03-11T16:00:00Z', lines: [line] }),
        storedSale({ store: nyc, seq: 7, occurred_at: '2030-03-12T16:00:00Z', lines: [line] }),
      ]);
      now = new Date('2030-03-13T02:30:00Z');
      const runs = await scheduler.tick();

      const days = ['2030-03-10', '2030-03-11', '2030-03-12', '2030-03-13'];
      for (const job of [sales_rollups, reconcile_daily]) expect(runs.filter((run) => run.job_id === job.id).map((run) => run.partition), job.id).toEqual(days);
      expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
      for (const day of ['2030-03-11', '2030-03-12']) {
        expect(await dailyStore(warehouse, 'nyc-001', day), day).toMatchObject({ receipts: 1, gross_minor: 500 });
        const history = await stores.history.list({ jobId: 'sales_rollups', partition: day });
        expect(new Set(history.map((attempt) => attempt.run_id)).size, day).toBe(1);
      }
    });

    it('two runner replicas sharing the lease store never run one partition at once', async () => {
      const replica = await fixture.openReplicaWarehouse();
      try {
        const spans: Array<{ run: string; partition: string; start: number; end: number }> = [];
        const traced = (runnerName: string): Job<DagResources> =>
          defineJob<DagResources>({
            ...sales_rollups,
            tasks: Object.fromEntries(
              Object.entries(sales_rollups.tasks).map(([task, definition]): [string, TaskDefinition<DagResources>] => [
                task,
                {
                  ...definition,
                  run: async (ctx) => {
                    const start = performance.now();
                    if (task === 'load_facts') await new Promise((resolve) => setTimeout(resolve, 50));
                    const rows = await definition.run(ctx);
                    spans.push({ run: `${runnerName}/${ctx.runId}`, partition: ctx.partition, start, end: performance.now() });
                    return rows;
                  },
                },
              ]),
            ),
          });
        const replicaA = testRunner({ resources, stores: warehouse.engineStores(), runnerId: 'replica-a' });
        const replicaB = testRunner({ resources: { ...resources, warehouse: replica }, stores: replica.engineStores(), runnerId: 'replica-b' });
        const days = [DAY_BEFORE, DST_DAY];
        const results: PartitionRun[] = [];
        // Both replicas race for the same day first (one of them must be turned away), then for both days twice over.
        for (let round = 0; round < 5 && days.some((day) => !results.some((run) => run.partition === day && run.status === 'succeeded')); round += 1) {
          results.push(...(await Promise.all([replicaA.runPartitions(traced('a'), [...days, ...days]), replicaB.runPartitions(traced('b'), [...days, ...days])])).flat());
        }

        expect(results.some((run) => run.status === 'skipped')).toBe(true);
        expect(results.every((run) => run.status !== 'failed')).toBe(true);
        for (const day of days) {
          const byRun = new Map<string, { start: number; end: number }>();
          for (const span of spans.filter((s) => s.partition === day)) {
            const seen = byRun.get(span.run);
            byRun.set(span.run, { start: Math.min(seen?.start ?? Infinity, span.start), end: Math.max(seen?.end ?? -Infinity, span.end) });
          }
          const intervals = [...byRun.values()].sort((x, y) => x.start - y.start);
          expect(intervals.length, day).toBeGreaterThan(0);
          for (let i = 1; i < intervals.length; i += 1) expect(intervals[i]!.start, `overlap on ${day}`).toBeGreaterThanOrEqual(intervals[i - 1]!.end);
        }
        expect(await tableRows(warehouse, 'fact_sales_line')).toHaveLength(8 + 1); // each sale line once, however often the day ran
      } finally {
        await replica.close();
      }
    });

    it('a sale lost from the order store is a reconciliation mismatch and a seq gap; a dead letter accounts for its seq', async () => {
      await runDay(DST_DAY);
      expect(await warehouse.reconcileProblemTotals()).toEqual({ mismatched: 0, gap_days: 0, seq_gaps: 0 });
      const lost = sales.find((sale) => sale.store_id === 'nyc-001' && sale.seq === 2)!;
      await fixture.loseSale(lost);

      expect((await runner.runPartition(reconcile_daily, DST_DAY)).status).toBe('succeeded');
      let rows = await warehouse.reconcileResults(DST_DAY);
      expect(rows.find((row) => row.store_id === 'nyc-001')).toMatchObject({ order_sales: 3, warehouse_sales: 4, order_total_minor: 1296 + 540 + 216, warehouse_total_minor: 1296 + 540 + 540 + 216, seq_gaps: 1, gap_seqs: '2', status: 'mismatch' });
      expect(rows.find((row) => row.store_id === 'yyz-001')).toMatchObject({ status: 'match' });
      expect(formatReconcileDayLine(summarizeReconcileDay(DST_DAY, rows))).toBe(`reconcile-day: date=${DST_DAY} stores=2 match=1 mismatched=1 seq_gaps=1`);
      expect(await warehouse.reconcileProblemTotals()).toEqual({ mismatched: 1, gap_days: 1, seq_gaps: 1 });

      // Re-rolled from the order store, the facts agree with it again; the seq gap still tells.
      await runDay(DST_DAY);
      rows = await warehouse.reconcileResults(DST_DAY);
      expect(rows.find((row) => row.store_id === 'nyc-001')).toMatchObject({ order_sales: 3, warehouse_sales: 3, seq_gaps: 1, status: 'gap' });

      // Dead-lettered (with its reason) is accounted for, not lost.
      await fixture.deadLetters.put(deadLetter('nyc-001', 2));
      expect((await runner.runPartition(reconcile_daily, DST_DAY)).status).toBe('succeeded');
      expect((await warehouse.reconcileResults(DST_DAY)).map((row) => row.status)).toEqual(['match', 'match']);
    });
  
    it('runs every example query of README "Querying the warehouse" unchanged', async () => {
      await runDay(DST_DAY);
      const queries = readmeQueries();
      expect(queries.length).toBeGreaterThanOrEqual(4);
      const results = [];
      for (const query of queries) results.push(await warehouse.query(query));
      const [daily, , hourly, top, , problems] = results;
      expect(daily!.map((row) => [row.store_id, Number(row.gross_minor)])).toEqual([['nyc-001', 1836], ['yyz-001', 6159]]);
      expect(hourly!.length).toBeGreaterThan(0);
      expect(top!.map((row) => row.sku)).toEqual(['SKU-A']);
      expect(problems).toEqual([]);
    });
  });
}
