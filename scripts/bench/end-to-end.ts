/**
 * End to end: POS clients → 2 store processes → gRPC → central (ingest + worker, BullMQ, Cassandra) →
 * DAG runner → ClickHouse, each in its own process on the production adapters. POS load is paced at a
 * fixed rate for the whole window; afterwards the lag is how long until every accepted sale is a fact
 * row in ClickHouse. No ceiling: the issue asks for the figures.
 */
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { productionIsolation } from '../lib/production-isolation.ts';
import { perSecond, percentile, sleep, type BenchContext, type BenchStage, type Scale } from './harness.ts';
import { catalogStore, postLoad, saleMaker } from './pos-load.ts';
import { sampleMemory, spawnCentral, spawnDagRunner, startStore, type BenchStore, type ServiceProcess } from './processes.ts';

const STORES = 2;
const POS_BATCH = 20;

/**
 * The offered rate: half of what one worker drained alone in the worker stage (the whole pipeline
 * shares the same 2 cores), or a default when that stage did not run.
 */
export function pipelineRate(scale: Scale, context: BenchContext): number {
  const worker = context.results.get('worker')?.ours.events_per_s_1_worker;
  const rate = worker !== undefined && Number.isFinite(worker) ? worker * 0.5 : scale.pick(1_000, 200);
  return Math.round(Math.min(5_000, Math.max(100, rate)));
}

export interface Pipeline {
  central: ServiceProcess & { grpcPort: number };
  dags?: ServiceProcess;
  stores: BenchStore[];
  /** ClickHouse fact rows (distinct sales) of this run's database. */
  visibleSales(): Promise<number>;
  close(): Promise<void>;
}

/** Central, optionally the DAG runner, and `stores` store processes shipping to central, on a keyspace, queue and database of their own. */
export async function startPipeline(context: BenchContext, name: string, stores: number, withDags: boolean): Promise<Pipeline> {
  const isolation = productionIsolation();
  // The stores use the derived dev key (RS_STORE_KEY_SECRET); production central only accepts it when told to.
  const env = { ...isolation.env, RS_LOG_LEVEL: 'warn', RS_DEV_DERIVED_KEYS: 'true' };
  const started: Array<{ stop(): Promise<void> }> = [];
  const clickhouse = createClient({ url: process.env.RS_CLICKHOUSE_URL ?? 'http://127.0.0.1:18123', database: isolation.name });
  const close = async () => {
    for (const process of started.reverse()) await process.stop().catch(() => undefined);
    await clickhouse.close();
    await isolation.drop();
  };
  try {
    const central = await spawnCentral({ roles: 'ingest,worker', env, logFile: join(context.workDir, `${name}-central.log`) });
    started.push(central);
    let dags: ServiceProcess | undefined;
    if (withDags) {
      dags = await spawnDagRunner({ env: { ...env, RS_DAG_TICK_CRON: '*/5 * * * * *' }, logFile: join(context.workDir, `${name}-dags.log`) });
      started.push(dags);
    }
    const storeProcesses: BenchStore[] = [];
    for (let index = 0; index < stores; index += 1) {
      const store = catalogStore(index);
      const process = await startStore({ storeId: store.store_id, dataDir: join(context.workDir, `${name}-stores`), endpoints: `127.0.0.1:${central.grpcPort}`, logFile: join(context.workDir, `${name}-store-${index}.log`), env });
      storeProcesses.push(process);
      started.push(process);
    }
    return {
      central,
      dags,
      stores: storeProcesses,
      async visibleSales() {
        const result = await clickhouse.query({ query: 'SELECT uniqExact(event_id) AS sales FROM fact_sales_line', format: 'JSONEachRow' }).catch(() => undefined);
        const rows = result ? ((await result.json()) as Array<{ sales: string }>) : [];
        return Number(rows[0]?.sales ?? 0);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Paced POS load on every store of the pipeline for `durationMs`; returns accepted sales and request latencies. */
export async function driveStores(pipeline: Pipeline, rate: number, durationMs: number): Promise<{ accepted: number; failedRequests: number; latenciesMs: number[] }> {
  const loads = await Promise.all(
    pipeline.stores.map((store, index) =>
      postLoad({ url: store.url, batch: POS_BATCH, concurrency: 4, sale: saleMaker(catalogStore(index)), durationMs, ratePerSecond: rate / pipeline.stores.length }),
    ),
  );
  return {
    accepted: loads.reduce((sum, load) => sum + load.accepted, 0),
    failedRequests: loads.reduce((sum, load) => sum + load.failedRequests, 0),
    latenciesMs: loads.flatMap((load) => load.latenciesMs),
  };
}

export const endToEndStage: BenchStage = {
  name: 'end-to-end',
  needs: ['redis', 'clickhouse', 'kafka', 'cassandra'],
  title: `end to end: POS → ${STORES} stores → gRPC → central (BullMQ, worker, Cassandra) → DAG runner → ClickHouse-visible, at a fixed offered rate, and the lag at the end`,
  async run(scale, context) {
    const durationMs = scale.pick(60_000, 6_000);
    const lagTimeoutMs = scale.pick(300_000, 60_000);
    const rate = pipelineRate(scale, context);
    const pipeline = await startPipeline(context, 'e2e', STORES, true);
    try {
      const memory = sampleMemory(pipeline.central.pid);
      const load = await driveStores(pipeline, rate, durationMs);
      const loadEnded = performance.now();
      const visibleAtEnd = await pipeline.visibleSales();
      let visible = visibleAtEnd;
      while (visible < load.accepted && performance.now() - loadEnded < lagTimeoutMs) {
        await sleep(500);
        visible = await pipeline.visibleSales();
      }
      const lagMs = performance.now() - loadEnded;
      const centralMemory = memory.stop();
      const caughtUp = visible >= load.accepted;
      return {
        ours: {
          accepted_events_per_s: perSecond(load.accepted, durationMs),
          offered_events_per_s: rate,
          visible_at_end_of_load: visibleAtEnd,
          lag_at_end_s: lagMs / 1000,
          end_to_end_events_per_s: perSecond(visible, durationMs + lagMs),
          intake_p99_ms: percentile(load.latenciesMs, 99),
          central_rss_max_mib: centralMemory.maxMiB,
        },
        ceiling: null,
        ratio: null,
        target: null,
        met: null,
        notes: [
          `${durationMs / 1000} s of POS load at ${rate} sales/s offered (half the 1-worker drain rate of the worker stage when it ran, else a default), ${STORES} stores, batches of ${POS_BATCH}, 4 clients per store; ${load.accepted.toLocaleString('en-US')} sales accepted, ${load.failedRequests} requests failed.`,
          `ClickHouse-visible = distinct event_id in fact_sales_line, which the DAG runner (tick every 5 s, re-rolling the days that got new sales) replaces per day; lag_at_end_s = from the end of the load until every accepted sale is visible${caughtUp ? '' : `. It did NOT catch up within ${lagTimeoutMs / 1000} s: ${visible.toLocaleString('en-US')} of ${load.accepted.toLocaleString('en-US')} visible`}.`,
          'end_to_end_events_per_s = sales visible ÷ (load window + lag): what the whole chain sustained. Central runs ingest and worker in one process (its RSS is central_rss_max_mib).',
        ],
      };
    } finally {
      await pipeline.close();
    }
  },
};
