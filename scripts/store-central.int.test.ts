/**
 * Central failover on the production profile: two central processes share one BullMQ queue (Redis) and
 * one order store (Cassandra), as replicas behind a store's endpoint list do. The replica the store
 * ships to is SIGKILLed mid-stream; the store must fail over to the other one and central must end up
 * holding every sale the POS got a 202 for exactly once. (On the embedded profile each central would
 * need its own DuckDB files, so "doubled" could not be judged across them: a resend to the second
 * replica would land in a different store. Shared servers make it a real dedupe test.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCentralConfig, startCentral, type Central } from '@retail-sync/central';
import { reconcile } from '@retail-sync/dags';
import { createLogger } from '@retail-sync/libs/log';
import { runSimulator } from '@retail-sync/store';
import { productionIsolation } from './lib/production-isolation.ts';
import { readSeedCatalog, spawnCentral, spawnStore, storeStatus, waitForDrain, waitUntil, type CentralProcess, type StoreProcess } from './lib/stack.ts';

const catalog = readSeedCatalog();
const STORE = catalog.stores[0]!;
const dataDir = mkdtempSync(join(tmpdir(), 'rs-failover-'));
const isolation = productionIsolation();
const running: Array<CentralProcess | StoreProcess> = [];
let observer: Central | undefined;

afterAll(async () => {
  for (const process of running.reverse()) await process.stop('SIGTERM');
  await observer?.close();
  await isolation.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Both replicas: a short BullMQ lease so the killed replica's in-flight jobs are taken over within
 * seconds; derived dev keys accepted (the store runs without an issued key).
 */
const centralEnv = { RS_PROFILE: 'production', RS_DEV_DERIVED_KEYS: 'true', RS_CENTRAL_ROLES: 'ingest,worker', RS_QUEUE_LEASE_MS: '2000', RS_BULLMQ_STALLED_INTERVAL_MS: '1000', ...isolation.env };

describe('store → two central replicas', () => {
  it('fails over to the other replica when the one it ships to is SIGKILLed mid-stream, with nothing lost or doubled', async () => {
    for (const key of ['RS_REDIS_URL', 'RS_CASSANDRA_CONTACT_POINTS']) expect(process.env[key], `${key} is unset: npm test starts the servers and exports it`).toBeTruthy();
    // The observer opens the shared adapters first (creating the keyspace once) and gives this test the ports to judge with.
    observer = await startCentral(loadCentralConfig({ ...process.env, ...centralEnv, RS_CENTRAL_ROLES: 'admin', RS_ADMIN_PORT: '0', RS_DATA_DIR: dataDir }), {
      logger: createLogger({ service: 'observer', level: 'warn' }),
    });
    const replicas: CentralProcess[] = [];
    for (const name of ['a', 'b']) {
      const replica = await spawnCentral({ dataDir, logFile: join(dataDir, 'logs', `central-${name}.log`), env: centralEnv });
      running.push(replica);
      replicas.push(replica);
    }
    const [first, second] = replicas as [CentralProcess, CentralProcess];
    const store = await spawnStore({
      storeId: STORE.store_id,
      dataDir,
      grpcEndpoints: `${first.grpcEndpoint},${second.grpcEndpoint}`,
      logFile: join(dataDir, 'logs', 'store.log'),
      env: { RS_SHIP_BACKOFF_MAX_MS: '500', RS_SHIP_BATCH_MAX_EVENTS: '50' },
    });
    running.push(store);

    const load = runSimulator({ stores: [{ ...STORE, url: store.url }], events: 2_000, ratePerSecond: 400, badRate: 0, retryRate: 0.05, catalog, seed: 5, maxAttempts: 100 });
    await waitUntil(async () => (await storeStatus(store)).acked_seq >= 200, 20_000);
    expect((await storeStatus(store)).shipper.endpoint).toBe(first.grpcEndpoint);
    await first.stop('SIGKILL');

    const { accepted, counts } = (await load).stores[0]!;
    expect(counts.unconfirmed).toBe(0);
    expect(await waitForDrain([store], observer, 60_000)).toBe(true);
    const status = await storeStatus(store);
    expect(status).toMatchObject({ acked_seq: status.last_seq, shipper: { endpoint: second.grpcEndpoint, state: 'shipping' } });

    const stored = await observer.orderStore.seqsForStore(STORE.store_id, 1, status.last_seq);
    const storedIds = new Set(stored.map((row) => row.event_id));
    expect(storedIds.size).toBe(stored.length);
    expect(accepted.filter((sale) => !storedIds.has(sale.event_id))).toEqual([]);
    const report = await reconcile({
      stores: [{ store_id: STORE.store_id, acked_high_water: status.last_seq }],
      orderStore: observer.orderStore,
      deadLetters: observer.deadLetters,
      warehouse: { factSeqsForStore: async () => [] }, // this test is about the order store; the warehouse is not run
    });
    expect(report.totals).toMatchObject({ missing: 0, duplicated: 0, stored: status.last_seq });
  });
});
