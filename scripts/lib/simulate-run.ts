/**
 * `npm run simulate`'s run, apart from its CLI: central and the DAG runner in this process, N stores in
 * store processes — one each for small N, else several per host process (store/src/multi-bin.ts) — and
 * POS traffic at a fixed rate for a fixed time. While it runs it samples every store's /v1/status
 * (shipper lag = last − acked seq, age of the oldest unacked event); afterwards it waits for the drain,
 * rolls up and reconciles exactly as the demo does, and reports the figures.
 * Embedded profile: the worker runs in this process too (DuckDB allows one writer process). Production
 * profile: this process runs ingest, admin and the DAG runner on a BullMQ prefix, Cassandra keyspace and
 * ClickHouse database of the run's own (production-isolation.ts); the workers are processes of their
 * own (worker-pool.ts), and one more can join mid-run, so the drain rate is reported per phase.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { formatReconcileLine, type ReconcileReport } from '@retail-sync/dags';
import { runSimulator, type StoreStatus } from '@retail-sync/store';
import { rollUpAndReconcile } from './demo-run.ts';
import { drainPhases, type DrainPhase, type DrainSample } from './drain-rate.ts';
import { productionIsolation, type ProductionIsolation } from './production-isolation.ts';
import { waitForDrain } from './stack.ts';
import { WorkerPool } from './worker-pool.ts';
import { fileLogger, readSeedCatalog, REPO_ROOT, spawnStore, startCentralNode, type SeedCatalog } from './stack.ts';

/** Up to this many stores, each runs in a process of its own (as a shop's edge box would). */
export const MAX_STORE_PROCESSES = 20;
/** Stores per host process when they share processes. */
const STORES_PER_HOST = 25;
const SAMPLE_EVERY_MS = 2_000;

export interface SimulateOptions {
  stores: number;
  durationSeconds: number;
  /** Sales per second per store. */
  ratePerStore: number;
  /** Store processes; default: one per store up to 20 stores, else one per 25 stores. */
  processes?: number;
  badRate: number;
  retryRate: number;
  seed: number;
  dataDir: string;
  print: (line: string) => void;
  /** Called every sample while sales are being sent (the CLI's progress bar). */
  onSample?: (sample: LagSample, elapsedSeconds: number) => void;
  drainTimeoutMs?: number;
  /** @default 'embedded' */
  profile?: 'embedded' | 'production';
  /** Production: worker processes from the start. @default 1 */
  workers?: number;
  /** Production: one more worker process joins this many seconds into the traffic. */
  addWorkerAfterSeconds?: number;
  /** Production: keep the run's queue keys, keyspace and database on the servers. */
  keepServerData?: boolean;
}

export interface LagSample {
  /** Sum of every store's last seq: events the stores took durably. */
  taken: number;
  acked: number;
  maxLagEvents: number;
  maxLagStore: string;
  /** Oldest unacked event over all stores, in seconds. */
  maxLagSeconds: number;
  queueWaiting: number;
  unreachable: number;
  /** Production: worker processes now, and the jobs they finished per second over the last ~10 s. */
  workers?: { processes: number; drainPerSecond: number };
}

export interface SimulateResult {
  processes: number;
  sentSeconds: number;
  accepted: number;
  intakePerSecond: number;
  /** Events stored or dead-lettered per second, from the first sale to the drain. */
  endToEndPerSecond: number;
  drainSeconds: number;
  drained: boolean;
  peak: { lagEvents: number; lagSeconds: number; queueWaiting: number };
  report: ReconcileReport;
  reconcileLine: string;
  ok: boolean;
  /** Production: the drain rate per number of worker processes (see drain-rate.ts). */
  workerPhases: DrainPhase[];
  /** Production: jobs each worker process finished, in start order. */
  jobsPerWorker: number[];
}

interface StoreEndpoint {
  storeId: string;
  url: string;
}

interface StoreHost {
  stores: StoreEndpoint[];
  stop(): Promise<void>;
}

export async function runSimulation(options: SimulateOptions): Promise<SimulateResult> {
  mkdirSync(join(options.dataDir, 'logs'), { recursive: true });
  const catalog = catalogFor(options.stores);
  const catalogPath = join(options.dataDir, 'catalog.json');
  writeFileSync(catalogPath, JSON.stringify(catalog, null, 2));
  process.env.RS_CATALOG_PATH = catalogPath; // startCentralNode hands it to the worker
  const chosen = catalog.stores.slice(0, options.stores);
  const processes = Math.min(options.stores, options.processes ?? (options.stores <= MAX_STORE_PROCESSES ? options.stores : Math.ceil(options.stores / STORES_PER_HOST)));

  const production = options.profile === 'production';
  const isolation: ProductionIsolation | undefined = production ? productionIsolation('rs_sim') : undefined;
  // The stores use derived dev keys (no setup); production central refuses them unless told.
  const productionEnv = isolation ? { RS_PROFILE: 'production', RS_DEV_DERIVED_KEYS: 'true', ...isolation.env } : undefined;
  const node = await startCentralNode({
    dataDir: options.dataDir, dagTickCron: '0 0 1 1 *', logger: fileLogger(join(options.dataDir, 'logs', 'central.log')),
    env: productionEnv && { ...productionEnv, RS_CENTRAL_ROLES: 'ingest,admin' },
  });
  const hosts: StoreHost[] = [];
  const pool = productionEnv ? new WorkerPool({ dataDir: options.dataDir, env: productionEnv }) : undefined;
  let joining: Promise<unknown> | undefined;
  let drainSampling = pool !== undefined;
  try {
    if (pool) {
      for (let i = 0; i < (options.workers ?? 1); i += 1) await pool.add();
      options.print(`simulate: production profile: BullMQ prefix, Cassandra keyspace and ClickHouse database ${isolation!.name}; ${pool.size} worker process${pool.size === 1 ? '' : 'es'}`);
    }
    const groups = splitInto(chosen.map((store) => store.store_id), processes);
    await Promise.all(groups.map(async (ids, index) => hosts.push(await startHost(ids, index, options.dataDir, node.grpcEndpoint, processes === options.stores))));
    const endpoints = new Map(hosts.flatMap((host) => host.stores).map((store) => [store.storeId, store.url]));
    options.print(`simulate: central ${node.central.adminUrl} (dashboard ${node.central.adminUrl}/dashboard), DAG runner ${node.dags.url}; ${options.stores} stores in ${processes} processes`);

    const peak = { lagEvents: 0, lagSeconds: 0, queueWaiting: 0 };
    const began = Date.now();
    const elapsed = () => (Date.now() - began) / 1000;
    let sending = true;
    const drainSamples: DrainSample[] = [];
    const sampler = (async () => {
      while (sending) {
        await sleep(SAMPLE_EVERY_MS);
        const sample = await sampleLag([...endpoints.values()], node.central.queue);
        if (pool) sample.workers = recentDrain(drainSamples);
        peak.lagEvents = Math.max(peak.lagEvents, sample.maxLagEvents);
        peak.lagSeconds = Math.max(peak.lagSeconds, sample.maxLagSeconds);
        peak.queueWaiting = Math.max(peak.queueWaiting, sample.queueWaiting);
        options.onSample?.(sample, elapsed());
      }
    })();
    // The drain rate is sampled until the queue has drained, not only while sales are sent.
    const drainSampler = (async () => {
      while (drainSampling) {
        const [finished, counts] = await Promise.all([pool!.jobsFinished(), node.central.queue.counts()]);
        if (finished) drainSamples.push({ at: elapsed(), finished, waiting: counts.waiting });
        await sleep(SAMPLE_EVERY_MS);
      }
    })();
    if (pool && options.addWorkerAfterSeconds !== undefined) {
      const timer = setTimeout(() => {
        joining = pool.add().then(
          () => options.print(`simulate: worker process ${pool.size} joined at t=${elapsed().toFixed(0)}s (asked for at ${options.addWorkerAfterSeconds}s)`),
          (error: unknown) => options.print(`simulate: the extra worker failed to start: ${(error as Error).message}`),
        );
      }, options.addWorkerAfterSeconds * 1000);
      void sampler.finally(() => clearTimeout(timer));
    }
    const simulation = await runSimulator({
      stores: chosen.map((store) => ({ ...store, url: endpoints.get(store.store_id)! })),
      events: Math.max(1, Math.round(options.ratePerStore * options.durationSeconds)),
      ratePerSecond: options.ratePerStore * options.stores,
      badRate: options.badRate,
      retryRate: options.retryRate,
      catalog,
      seed: options.seed,
      runTag: Date.now().toString(36),
    }).finally(() => (sending = false));
    await sampler;
    const sentSeconds = (Date.now() - began) / 1000;
    const accepted = simulation.stores.reduce((total, store) => total + store.accepted.length, 0);

    await joining; // a worker still starting joins before the drain is judged
    const drained = await waitForDrain([...endpoints.values()].map((url) => ({ url })), node.central, options.drainTimeoutMs ?? 600_000);
    const drainedAt = Date.now();
    drainSampling = false;
    await drainSampler;
    const jobsPerWorker = (await pool?.jobsFinished()) ?? [];
    const storeInputs = simulation.stores.map((s) => ({ store_id: s.store_id, acked_high_water: s.accepted.reduce((max, sale) => Math.max(max, sale.seq), 0) }));
    let report = await rollUpAndReconcile(node, storeInputs);
    for (let attempt = 0; attempt < 5 && report.perStore.some((s) => s.not_in_warehouse > 0); attempt += 1) report = await rollUpAndReconcile(node, storeInputs);
    for (const store of report.perStore.filter((s) => s.missing + s.duplicated + s.not_in_warehouse > 0)) {
      options.print(`store ${store.store_id}: seqs 1..${store.acked_high_water} stored=${store.stored} dead_lettered=${store.dead_lettered} missing=${store.missing} duplicated=${store.duplicated} not_in_warehouse=${store.not_in_warehouse}`);
    }
    const notInWarehouse = report.perStore.reduce((total, s) => total + s.not_in_warehouse, 0);
    return {
      processes,
      sentSeconds,
      accepted,
      intakePerSecond: accepted / sentSeconds,
      endToEndPerSecond: accepted / ((drainedAt - began) / 1000),
      drainSeconds: (drainedAt - began) / 1000 - sentSeconds,
      drained,
      peak,
      report,
      reconcileLine: formatReconcileLine({ ...report.totals, missing: report.totals.missing + notInWarehouse }),
      ok: drained && report.ok && notInWarehouse === 0,
      workerPhases: drainPhases(drainSamples),
      jobsPerWorker,
    };
  } finally {
    drainSampling = false;
    await joining?.catch(() => undefined);
    await Promise.all(hosts.map((host) => host.stop()));
    await pool?.stop();
    await node.close();
    if (isolation && !options.keepServerData) await isolation.drop();
  }
}

/** The seed catalog, plus generated stores past its 20 (copies of seed stores under new ids, same timezones and currencies). */
export function catalogFor(stores: number, seed: SeedCatalog = readSeedCatalog()): SeedCatalog {
  const extra = Array.from({ length: Math.max(0, stores - seed.stores.length) }, (_, i) => {
    const model = seed.stores[i % seed.stores.length]!;
    const number = String(seed.stores.length + i + 1).padStart(4, '0');
    return { ...model, store_id: `sim-${number}`, name: `${model.name} (simulated ${number})` };
  });
  return { ...seed, stores: [...seed.stores, ...extra] };
}

/** One store process per store, or one multi-store host for a group. */
async function startHost(storeIds: string[], index: number, dataDir: string, grpcEndpoints: string, oneEach: boolean): Promise<StoreHost> {
  if (oneEach) {
    const store = await spawnStore({ storeId: storeIds[0]!, dataDir, grpcEndpoints, logFile: join(dataDir, 'logs', `store-${storeIds[0]}.log`) });
    return { stores: [{ storeId: store.storeId, url: store.url }], stop: () => store.stop('SIGTERM') };
  }
  const log = createWriteStream(join(dataDir, 'logs', `store-host-${index + 1}.log`), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'store/src/multi-bin.ts'), '--stores', storeIds.join(',')], {
    cwd: REPO_ROOT,
    env: { ...process.env, RS_DATA_DIR: dataDir, RS_CENTRAL_GRPC_ENDPOINTS: grpcEndpoints },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stores = await readReadyLine(child, 120_000);
  return {
    stores,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function readReadyLine(child: ChildProcess, timeoutMs: number): Promise<StoreEndpoint[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a store host did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`a store host exited with code ${code} before it was ready; see data/…/logs/store-host-*.log`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const ready = JSON.parse(line) as { stores: Array<{ store_id: string; url: string }> };
      resolve(ready.stores.map((store) => ({ storeId: store.store_id, url: store.url })));
    });
  });
}

async function sampleLag(urls: string[], queue: { counts(): Promise<{ waiting: number }> }): Promise<LagSample> {
  const statuses = await Promise.all(urls.map((url) => fetch(`${url}/v1/status`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.json() as Promise<StoreStatus>).catch(() => undefined)));
  const now = Date.now();
  const sample: LagSample = { taken: 0, acked: 0, maxLagEvents: 0, maxLagStore: '', maxLagSeconds: 0, queueWaiting: (await queue.counts()).waiting, unreachable: 0 };
  for (const status of statuses) {
    if (!status) {
      sample.unreachable += 1;
      continue;
    }
    sample.taken += status.last_seq;
    sample.acked += status.acked_seq;
    const lag = status.last_seq - status.acked_seq;
    if (lag > sample.maxLagEvents) [sample.maxLagEvents, sample.maxLagStore] = [lag, status.store_id];
    if (status.oldest_unacked_at) sample.maxLagSeconds = Math.max(sample.maxLagSeconds, (now - Date.parse(status.oldest_unacked_at)) / 1000);
  }
  return sample;
}

/** Worker processes at the last drain sample and their rate since the sample ~10 s before it. */
function recentDrain(samples: readonly DrainSample[]): { processes: number; drainPerSecond: number } | undefined {
  const last = samples.at(-1);
  if (!last) return undefined;
  const earlier = samples.findLast((sample) => sample.at <= last.at - 10) ?? samples[0]!;
  const jobs = (sample: DrainSample) => sample.finished.reduce((total, count) => total + count, 0);
  return { processes: last.finished.length, drainPerSecond: last.at > earlier.at ? (jobs(last) - jobs(earlier)) / (last.at - earlier.at) : 0 };
}

function splitInto<T>(items: T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, i) => items.filter((_, index) => index % parts === i));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
