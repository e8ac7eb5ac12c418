/**
 * `npm start`: the whole pipeline on the embedded defaults, no servers needed. Central (gRPC ingest,
 * worker, admin API) and the DAG runner run in this process; three stores in three timezones run as
 * processes of their own, and a simulator keeps their POS traffic coming. Ctrl-C stops it cleanly:
 * the simulator first, then the stores (their buffers keep what central has not acked), then central.
 */
import { join, resolve } from 'node:path';
import { runSimulator, type StoreStatus } from '@retail-sync/store';
import { fileLogger, readSeedCatalog, REPO_ROOT, spawnStore, startCentralNode, type StoreProcess } from './lib/stack.ts';

// Ports: 8000/50051/8001 and stores from 5001 by default; 0 lets the OS pick each (the URLs are printed).
const storePortBase = Number(process.env.RS_STORE_PORT_BASE ?? 5001);
const STORES = ['nyc-001', 'lon-001', 'tok-001'].map((store_id, i) => ({ store_id, port: storePortBase === 0 ? undefined : storePortBase + i }));
const SALES_PER_SECOND = Number(process.env.RS_SIMULATOR_RATE ?? 20);

const dataDir = resolve(REPO_ROOT, process.env.RS_DATA_DIR ?? 'data');
const logDir = join(dataDir, 'logs');
const catalog = readSeedCatalog();
const logger = fileLogger(join(logDir, 'central.log'));

const node = await startCentralNode({
  dataDir,
  adminPort: Number(process.env.RS_ADMIN_PORT ?? 8000),
  grpcPort: Number(process.env.RS_GRPC_PORT ?? 50051),
  dagsPort: Number(process.env.RS_DAGS_PORT ?? 8001),
  dagTickCron: process.env.RS_DAG_TICK_CRON ?? '*/10 * * * * *',
  logger,
});
const stores: StoreProcess[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  stopping = true;
  console.log('\nretail-sync: stopping (stores first, their buffers keep anything not yet acked)…');
  await Promise.all(stores.map((store) => store.stop('SIGTERM')));
  await node.close();
  console.log('retail-sync: stopped');
  process.exit(code);
}

process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

const startStore = (store: (typeof STORES)[number]) =>
  spawnStore({
    storeId: store.store_id,
    port: store.port,
    dataDir,
    grpcEndpoints: `127.0.0.1:${node.central.grpcPort}`,
    logFile: join(logDir, `store-${store.store_id}.log`),
  });

try {
  // The first store alone: on a fresh checkout it compiles the store's sources into tsx's cache, which
  // the others then share instead of compiling the same files side by side. The rest start together.
  stores.push(await startStore(STORES[0]!));
  const rest = await Promise.allSettled(STORES.slice(1).map(startStore));
  for (const started of rest) if (started.status === 'fulfilled') stores.push(started.value);
  const failed = rest.find((started) => started.status === 'rejected');
  if (failed) throw failed.reason;
} catch (error) {
  console.error(`retail-sync: a store did not start: ${(error as Error).message}`);
  await stop(1);
}

console.log(`retail-sync is running on the embedded defaults (data in ${dataDir})

  POS intake     ${stores.map((s) => `${s.storeId} ${s.url}/v1/sales`).join('\n                 ')}
  store status   ${stores[0]!.url}/v1/status
  central gRPC   127.0.0.1:${node.central.grpcPort}
  central admin  ${node.central.adminUrl}/v1/admin/stores · /v1/admin/queue · /v1/admin/dead-letters
  DAG runner     ${node.dags.url}/v1/dags/runs · /v1/dags/reconcile
  logs           ${logDir}/*.log   warehouse ${join(dataDir, 'warehouse/warehouse.duckdb')}

A simulator sends about ${SALES_PER_SECOND} sales/s to the three stores; a status line follows every 10 s. Ctrl-C stops.
`);

void simulateForever();
setInterval(() => void printStatus(), 10_000).unref();

async function simulateForever(): Promise<void> {
  const runTag = Date.now().toString(36);
  for (let round = 1; !stopping; round += 1) {
    await runSimulator({
      stores: stores.map((store) => ({ ...catalog.stores.find((s) => s.store_id === store.storeId)!, url: store.url })),
      events: Math.max(1, Math.round(SALES_PER_SECOND / stores.length) * 5),
      ratePerSecond: SALES_PER_SECOND,
      badRate: 0.02,
      retryRate: 0.03,
      catalog,
      seed: round,
      runTag: `${runTag}${round}`,
    }).catch((error: unknown) => logger.warn({ err: error }, 'simulator round failed'));
  }
}

async function printStatus(): Promise<void> {
  if (stopping) return;
  const statuses = await Promise.all(
    stores.map((store) => fetch(`${store.url}/v1/status`).then((r) => r.json() as Promise<StoreStatus>).catch(() => undefined)),
  );
  const queue = await node.central.queue.counts();
  const letters = await node.central.deadLetters.list({ includeReplayed: false });
  const storeLines = statuses.map((s, i) => (s ? `${s.store_id} seq ${s.acked_seq}/${s.last_seq} acked` : `${stores[i]!.storeId} down`));
  console.log(`status: ${storeLines.join(' · ')} | queue waiting ${queue.waiting} active ${queue.active} | dead letters ${letters.length}`);
}
