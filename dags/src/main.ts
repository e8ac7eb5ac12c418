/**
 * startDagRunner: opens the profile's warehouse (migrated), starts the scheduler on RS_DAG_TICK_CRON and
 * the runner's HTTP. The order store and dead-letter store are passed in: in the embedded profile the
 * lead composes central and the DAG runner in one process and hands over central's adapters (DuckDB
 * allows one writer process per file). close() stops the scheduler after the tick in flight, then the
 * HTTP, then the warehouse; the passed-in ports stay open (their owner closes them).
 */
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@retail-sync/libs/log';
import type { DeadLetterPort, OrderStorePort } from '@retail-sync/libs/ports';
import type { Registry } from 'prom-client';
import type { DagsConfig } from './config.ts';
import { jobs, openResources } from './definitions.ts';
import { Backfills, type BackfillProgress } from './engine/backfill.ts';
import { assertBusinessDate } from './engine/partitions.ts';
import { JobRunner, type PartitionRun } from './engine/runner.ts';
import { Scheduler } from './engine/scheduler.ts';
import { buildDagsHttp } from './http.ts';
import { reconcile, type ReconcileReport, type ReconcileStoreInput } from './jobs/reconcile.ts';
import { reconcile_daily } from './jobs/reconcile_daily.ts';
import type { DagResources } from './jobs/resources.ts';
import { createDagsMetrics } from './metrics.ts';
import type { DagWarehouse, ReconcileResultRow } from './warehouse/dag-warehouse.ts';

export interface DagRunnerDeps {
  orderStore: OrderStorePort;
  deadLetters: DeadLetterPort;
  logger?: Logger;
}

export interface DagRunner {
  warehouse: DagWarehouse;
  /** http://host:port the runner's HTTP listens on. */
  url: string;
  /** Runs the given business dates of one job now (each once). */
  runPartitions(jobId: string, dates: readonly string[]): Promise<PartitionRun[]>;
  /** Runs every date of [from, to] of one job once. */
  backfill(jobId: string, from: string, to: string): Promise<PartitionRun[]>;
  /** Starts a background backfill (what POST /v1/dags/backfill does); poll with backfills.get(id). */
  backfills: Backfills<DagResources>;
  /** Runs reconcile_daily for one business day now and returns its per-store rows. */
  reconcileDay(date: string): Promise<{ run: BackfillProgress; rows: ReconcileResultRow[] }>;
  /** The runner's Prometheus registry (served on GET /metrics). */
  metrics: Registry;
  /** A scheduler tick now: dates with late data since the last successful tick (and the scheduled set if due). */
  runDirty(): Promise<PartitionRun[]>;
  /**
   * Reconciliation against `stores` (the demo passes each store's acked high-water). Omitted: every
   * store's high-water as central last recorded it — the store's last *assigned* seq, so events still
   * in flight count as missing until they are stored.
   */
  reconcile(stores?: readonly ReconcileStoreInput[]): Promise<ReconcileReport>;
  close(): Promise<void>;
}

export async function startDagRunner(config: DagsConfig, deps: DagRunnerDeps): Promise<DagRunner> {
  const logger = (deps.logger ?? createLogger({ service: 'dags', level: config.RS_LOG_LEVEL })).child({ component: 'dag-runner', runner_id: config.RS_DAG_RUNNER_ID });
  const opened = await openResources(config, { orderStore: deps.orderStore, deadLetters: deps.deadLetters });
  const metrics = createDagsMetrics(opened.warehouse, logger);
  const runner = new JobRunner({
    runnerId: config.RS_DAG_RUNNER_ID,
    resources: opened.resources,
    stores: opened.engineStores,
    logger,
    taskAttempts: config.RS_DAG_TASK_ATTEMPTS,
    retryBackoffMs: config.RS_DAG_RETRY_BACKOFF_MS,
    leaseTtlMs: config.RS_DAG_LEASE_TTL_MS,
    onPartitionRun: (run, durationSeconds) => metrics.partitionRunFinished(run, durationSeconds),
  });
  const backfills = new Backfills({ runner, jobs, logger });
  const reconcileDay = async (date: string) => {
    assertBusinessDate(date);
    const started = backfills.start(reconcile_daily.id, date, date);
    const run = (await backfills.wait(started.backfill_id))!;
    return { run, rows: await opened.warehouse.reconcileResults(date) };
  };
  const scheduler = new Scheduler({
    jobs,
    runner,
    orderStore: deps.orderStore,
    jobState: opened.engineStores.jobState,
    logger,
    catchupMaxDays: config.RS_DAG_CATCHUP_MAX_DAYS,
  });
  const reconcileWith = async (stores?: readonly ReconcileStoreInput[]) =>
    reconcile({
      stores: stores ?? (await deps.orderStore.storeProgress()).map((p) => ({ store_id: p.store_id, acked_high_water: p.high_water_seq })),
      orderStore: deps.orderStore,
      deadLetters: deps.deadLetters,
      warehouse: opened.warehouse,
    });

  if (config.RS_PROFILE === 'production' && !config.RS_ADMIN_TOKEN) logger.warn('RS_ADMIN_TOKEN is unset: the runner API (backfills) is open to anyone who can reach it');
  let ready = false;
  const http = buildDagsHttp({
    history: opened.engineStores.history,
    jobTasks: Object.fromEntries(jobs.map((job) => [job.id, job.order.length])),
    isReady: () => ready,
    // What the jobs read (order store) and write (warehouse), asked afresh on every probe.
    readinessChecks: { warehouse: () => opened.warehouse.query('SELECT 1 AS ok'), order_store: () => deps.orderStore.storeProgress() },
    reconcile: () => reconcileWith(),
    backfills,
    reconcileDay: { stored: (date) => opened.warehouse.reconcileResults(assertBusinessDate(date)), run: async (date) => (await reconcileDay(date)).run },
    metrics: metrics.registry,
    adminToken: config.RS_ADMIN_TOKEN,
  });
  try {
    await http.listen({ host: config.RS_DAGS_HOST, port: config.RS_DAGS_PORT });
  } catch (error) {
    await opened.close().catch(() => undefined);
    throw error;
  }
  const address = http.server.address() as AddressInfo;
  scheduler.start(config.RS_DAG_TICK_CRON);
  ready = true;
  logger.info({ host: config.RS_DAGS_HOST, port: address.port, jobs: jobs.map((job) => job.id), tick: config.RS_DAG_TICK_CRON }, 'dag runner started');

  let closing: Promise<void> | undefined;
  return {
    warehouse: opened.warehouse,
    url: `http://${config.RS_DAGS_HOST}:${address.port}`,
    runPartitions: (jobId, dates) => scheduler.runPartitions(jobId, dates),
    backfill: (jobId, from, to) => scheduler.backfill(jobId, from, to),
    runDirty: () => scheduler.tick(),
    backfills,
    reconcileDay,
    metrics: metrics.registry,
    reconcile: reconcileWith,
    close: () => {
      closing ??= (async () => {
        ready = false;
        await Promise.all([scheduler.stop(), backfills.stopAll()]);
        await http.close();
        await opened.close();
        logger.info('dag runner stopped');
      })();
      return closing;
    },
  };
}
