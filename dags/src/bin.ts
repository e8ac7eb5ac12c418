/**
 * Entry point of a stand-alone DAG runner process: `tsx dags/src/bin.ts` with RS_* env. On the
 * production profile it reads Cassandra and writes ClickHouse, and any number of replicas may run
 * (partition leases keep them apart). On the embedded profile it opens central's DuckDB file itself,
 * which DuckDB allows only while no central process holds it — `npm start` runs both in one process.
 */
import { join } from 'node:path';
import { createCassandraDeadLetters, createCassandraOrderStore } from '@retail-sync/libs/cassandra';
import { EmbeddedDeadLetters, EmbeddedOrderStore } from '@retail-sync/libs/embedded';
import { createLogger } from '@retail-sync/libs/log';
import { stopOnSignals } from '@retail-sync/libs/runtime';
import type { DeadLetterPort, OrderStorePort } from '@retail-sync/libs/ports';
import { loadDagsConfig } from './config.ts';
import { startDagRunner } from './main.ts';

const config = loadDagsConfig();
const logger = createLogger({ service: 'dags', level: config.RS_LOG_LEVEL });
let orderStore: OrderStorePort;
let deadLetters: DeadLetterPort;
if (config.RS_PROFILE === 'production') {
  orderStore = await createCassandraOrderStore(config);
  deadLetters = await createCassandraDeadLetters(config);
} else {
  const ordersDbPath = join(config.RS_DATA_DIR, 'central', 'orders.duckdb');
  orderStore = await EmbeddedOrderStore.open(ordersDbPath);
  deadLetters = await EmbeddedDeadLetters.open(ordersDbPath);
}
await orderStore.migrate();
await deadLetters.migrate();
const runner = await startDagRunner(config, { orderStore, deadLetters, logger });
logger.info({ url: runner.url, profile: config.RS_PROFILE }, 'DAG runner running');

stopOnSignals(logger, () => runner.close().then(() => Promise.all([orderStore.close(), deadLetters.close()])));
