/**
 * The demo's run, separate from its CLI so tests can drive it: start the stack, simulate, wait for
 * the drain, roll up, reconcile. "Drained" is judged from the outside: each store's log says every
 * seq it assigned was acked by central, and central's queue is empty.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runSimulator, type SimulationResult } from '@retail-sync/store';
import { formatReconcileLine, type ReconcileReport } from '@retail-sync/dags';
import { productionIsolation } from './production-isolation.ts';
import { fileLogger, readSeedCatalog, spawnStore, startCentralNode, waitForDrain, type CentralNode, type StoreProcess } from './stack.ts';

export interface DemoOptions {
  stores: number;
  events: number;
  badRate: number;
  retryRate: number;
  seed: number;
  profile: 'embedded' | 'production';
  transport: 'grpc' | 'kafka';
  dataDir: string;
  print: (line: string) => void;
  /** Production profile: keep the run's keyspace, database and queue keys on the servers. */
  keepServerData?: boolean;
  /** Longest wait for the pipeline to drain. */
  drainTimeoutMs?: number;
  /** Called after reconciliation, while every process still runs (tests scrape /metrics here). */
  beforeStop?: (stack: { node: CentralNode; stores: StoreProcess[] }) => Promise<void>;
}

export interface DemoResult {
  simulation: SimulationResult;
  report: ReconcileReport;
  reconcileLine: string;
  ok: boolean;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const catalog = readSeedCatalog();
  if (options.stores > catalog.stores.length) throw new Error(`--stores ${options.stores}: the seed catalog has ${catalog.stores.length} stores`);
  mkdirSync(options.dataDir, { recursive: true });
  const logger = fileLogger(join(options.dataDir, 'logs', 'central.log'));

  // production: a keyspace, database and queue prefix of this run's own, so reconciliation sees only its sales
  const isolation = options.profile === 'production' || options.transport === 'kafka' ? productionIsolation() : undefined;
  const kafka = options.transport === 'kafka';
  const node: CentralNode = await startCentralNode({
    dataDir: options.dataDir,
    dagTickCron: '0 0 1 1 *',
    logger,
    // The demo's stores use derived dev keys (no setup); production central refuses them unless told.
    env: { RS_PROFILE: options.profile, RS_DEV_DERIVED_KEYS: 'true', ...isolation?.env, ...(kafka ? { RS_CENTRAL_ROLES: 'ingest,kafka,worker,admin' } : {}) },
  });
  const stores: StoreProcess[] = [];
  try {
    const chosen = catalog.stores.slice(0, options.stores);
    for (const store of chosen) {
      stores.push(
        await spawnStore({
          storeId: store.store_id,
          dataDir: options.dataDir,
          grpcEndpoints: node.grpcEndpoint,
          logFile: join(options.dataDir, 'logs', `store-${store.store_id}.log`),
          env: kafka ? { RS_TRANSPORT: 'kafka', RS_KAFKA_TOPIC: isolation!.env.RS_KAFKA_TOPIC! } : {},
        }),
      );
    }
    if (options.profile === 'production') options.print(`demo: production profile: BullMQ prefix, Cassandra keyspace and ClickHouse database ${isolation!.name}`);
    if (kafka) options.print(`demo: stores ship over Kafka to topic ${isolation!.env.RS_KAFKA_TOPIC}`);
    options.print(`demo: central on ${node.grpcEndpoint} (gRPC), admin ${node.central.adminUrl}, DAG runner ${node.dags.url}; ${stores.length} store processes`);

    const perStore = splitEvenly(options.events, stores.length);
    const runs = await Promise.all(
      chosen.map((store, i) =>
        runSimulator({
          stores: [{ ...store, url: stores[i]!.url }],
          events: perStore[i]!,
          badRate: options.badRate,
          retryRate: options.retryRate,
          catalog,
          seed: options.seed,
        }),
      ),
    );
    const simulation: SimulationResult = { stores: runs.flatMap((run) => run.stores) };
    const counts = simulation.stores.map((s) => s.counts);
    const sum = (key: keyof (typeof counts)[number]) => counts.reduce((total, c) => total + c[key], 0);
    options.print(`demo: simulated sent=${sum('sent')} accepted=${sum('accepted')} pos_retries=${sum('retries')} duplicates=${sum('duplicates')} rejected_at_intake=${sum('rejected')} unconfirmed=${sum('unconfirmed')}`);

    const drained = await waitForDrain(stores, node.central, options.drainTimeoutMs ?? 300_000);
    options.print(drained ? 'demo: drained: every store log acked, every seq stored or dead-lettered, queue empty' : 'demo: the pipeline did not drain in time; reconciling what arrived');

    const storeInputs = simulation.stores.map((s) => ({ store_id: s.store_id, acked_high_water: s.accepted.reduce((max, sale) => Math.max(max, sale.seq), 0) }));
    let report = await rollUpAndReconcile(node, storeInputs);
    for (let attempt = 0; attempt < 5 && report.perStore.some((s) => s.not_in_warehouse > 0); attempt += 1) {
      report = await rollUpAndReconcile(node, storeInputs);
    }
    for (const store of report.perStore) {
      options.print(
        `store ${store.store_id}: seqs 1..${store.acked_high_water} stored=${store.stored} warehouse=${store.warehouse} dead_lettered=${store.dead_lettered} missing=${store.missing} duplicated=${store.duplicated} not_in_warehouse=${store.not_in_warehouse}`,
      );
    }
    await options.beforeStop?.({ node, stores });
    const notInWarehouse = report.perStore.reduce((total, s) => total + s.not_in_warehouse, 0);
    const totals = { ...report.totals, missing: report.totals.missing + notInWarehouse };
    return { simulation, report, reconcileLine: formatReconcileLine(totals), ok: report.ok && notInWarehouse === 0 };
  } finally {
    await Promise.all(stores.map((store) => store.stop('SIGTERM')));
    await node.close();
    if (isolation && !options.keepServerData) await isolation.drop();
  }
}

/** Splits `total` into `parts` near-equal shares. */
function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}


export async function rollUpAndReconcile(node: CentralNode, stores: Array<{ store_id: string; acked_high_water: number }>): Promise<ReconcileReport> {
  const dates = await node.central.orderStore.datesTouchedSince('1970-01-01T00:00:00.000Z');
  const runs = await node.dags.runPartitions('sales_rollups', dates);
  const failed = runs.filter((run) => run.status !== 'succeeded');
  if (failed.length > 0) throw new Error(`rollup failed for ${failed.map((run) => `${run.partition}: ${run.error ?? run.status}`).join('; ')}`);
  return node.dags.reconcile(stores);
}
