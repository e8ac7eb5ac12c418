import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { storeKeyFor } from '@retail-sync/libs/domain';
import { createLogger } from '@retail-sync/libs/log';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openShipStream } from './ingest/grpc/test-client.ts';
import { chosenAdapters } from './adapters.ts';
import { loadCentralConfig, startCentral, type Central } from './index.ts';
import { eventually } from './queue/queue.contract.ts';
import { wireEventFixture } from './test-fixtures.ts';

const SEED = fileURLToPath(new URL('../../data/seed/catalog.json', import.meta.url));
const logger = createLogger({ service: 'central-test', level: 'silent' });

describe('startCentral', () => {
  let dir: string;
  let central: Central | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rs-central-'));
  });

  afterEach(async () => {
    await central?.close();
    central = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const configWith = (env: Record<string, string> = {}) =>
    loadCentralConfig({ RS_DATA_DIR: dir, RS_ADMIN_PORT: '0', RS_GRPC_PORT: '0', RS_CATALOG_PATH: SEED, RS_WORKER_BACKOFF_MS: '10', RS_QUEUE_POLL_MS: '5', ...env });

  it('takes a sale from a store over gRPC to the order store, answers the admin API, and closes cleanly', async () => {
    central = await startCentral(configWith(), { logger });
    expect(central.grpcPort).toBeGreaterThan(0);
    expect(central.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const stream = openShipStream(central.grpcPort!, { storeId: 'nyc-001', key: storeKeyFor(loadCentralConfig({}).RS_STORE_KEY_SECRET, 'nyc-001') });
    const event = wireEventFixture({ seq: 1 });
    const ack = await stream.send({ batch_id: 'b-1', events: [{ ...event, sale_json: Buffer.from(event.sale_json) }], high_water_seq: 1 });
    expect(ack.acks[0]!.outcome).toBe('ACCEPTED');
    stream.end();
    await stream.status;
    stream.close();

    await eventually(async () => (await central!.orderStore.seqsForStore('nyc-001', 1, 1)).length === 1);
    const ready = await fetch(`${central.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    const stores = (await (await fetch(`${central.adminUrl}/v1/admin/stores`)).json()) as { stores: Array<{ store_id: string; high_water_seq: number }> };
    expect(stores.stores).toMatchObject([{ store_id: 'nyc-001', high_water_seq: 1 }]);

    const { grpcPort, adminUrl } = central;
    await central.close();
    central = undefined;
    await expect(fetch(`${adminUrl}/healthz`)).rejects.toThrow();
    const late = openShipStream(grpcPort!, { storeId: 'nyc-001', key: 'x' });
    await expect(late.send({ batch_id: 'b-2', events: [], high_water_seq: 1 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    late.close();
  });

  it('runs only the roles it is given', async () => {
    central = await startCentral(configWith({ RS_CENTRAL_ROLES: 'worker' }), { logger });
    expect(central.grpcPort).toBeUndefined();
    expect(central.adminUrl).toBeUndefined();
    expect(await central.queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  });

  it('keeps its data across a restart on the same data dir', async () => {
    central = await startCentral(configWith({ RS_CENTRAL_ROLES: 'admin' }), { logger });
    await central.orderStore.recordStoreProgress('nyc-001', 5, new Date().toISOString());
    await central.close();
    central = await startCentral(configWith({ RS_CENTRAL_ROLES: 'admin' }), { logger });
    expect(await central.orderStore.storeProgress()).toMatchObject([{ store_id: 'nyc-001', high_water_seq: 5 }]);
  });

  it('picks every adapter by profile and lets one port be overridden', () => {
    expect(chosenAdapters(configWith())).toEqual({ queue: 'embedded', orderStore: 'embedded' });
    expect(chosenAdapters(configWith({ RS_PROFILE: 'production' }))).toEqual({ queue: 'bullmq', orderStore: 'cassandra' });
    expect(chosenAdapters(configWith({ RS_PROFILE: 'production', RS_QUEUE_ADAPTER: 'embedded' }))).toEqual({ queue: 'embedded', orderStore: 'cassandra' });
    expect(() => configWith({ RS_ORDER_STORE_ADAPTER: 'postgres' })).toThrow(/RS_ORDER_STORE_ADAPTER/);
  });
});
