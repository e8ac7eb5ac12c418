import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV_STORE_KEY_SECRET } from '@retail-sync/libs/domain';
import { storeConfig, type StoreConfig } from './config.ts';
import { FakeIngestServer } from './shipper/fake-ingest-server.ts';
import { startStore, type RunningStore } from './store.ts';
import { captureLogger, makeTempDir } from './testing/capture-logger.ts';
import { validSale } from './testing/sale-factory.ts';

let dir: string;
let cleanup: () => Promise<void>;
const running: (RunningStore | FakeIngestServer)[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('store'));
});

afterEach(async () => {
  for (const item of running.splice(0).reverse()) await ('close' in item ? item.close() : item.stop());
  await cleanup();
});

async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function config(endpoint: string): StoreConfig {
  return storeConfig({
    RS_STORE_PORT: 0,
    RS_STORE_DATA_DIR: dir,
    RS_CENTRAL_GRPC_ENDPOINTS: endpoint,
    RS_SHIP_BACKOFF_BASE_MS: 10,
    RS_SHIP_BACKOFF_MAX_MS: 50,
    RS_SHIP_CONNECT_TIMEOUT_MS: 200,
    RS_SHIP_IDLE_POLL_MS: 20,
  });
}

async function start(endpoint: string): Promise<RunningStore> {
  const store = await startStore(config(endpoint), { logger: captureLogger('silent').logger });
  running.push(store);
  return store;
}

async function postSales(store: RunningStore, receipts: string[]): Promise<string[]> {
  const response = await fetch(`${store.url}/v1/sales`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sales: receipts.map((receipt) => validSale(receipt)) }) });
  const body = (await response.json()) as { results: { event_id: string }[] };
  return body.results.map((result) => result.event_id);
}

describe('store', () => {
  it('resumes shipping from the ack cursor after a restart: only unacked events are sent again', async () => {
    const central = await FakeIngestServer.start({ secret: DEV_STORE_KEY_SECRET });
    running.push(central);
    const store = await start(central.endpoint);
    const shipped = await postSales(store, ['R1', 'R2', 'R3']);
    await eventually(() => store.status().acked_seq === 3);
    await central.stop();

    const unshipped = await postSales(store, ['R4', 'R5']);
    expect(store.status()).toMatchObject({ last_seq: 5, acked_seq: 3 });
    await store.close();

    const restartedCentral = await FakeIngestServer.start({ secret: DEV_STORE_KEY_SECRET, port: central.port });
    running.push(restartedCentral);
    const restarted = await start(restartedCentral.endpoint);
    await eventually(() => restarted.status().acked_seq === 5);
    expect(restartedCentral.received.map((event) => event.event_id)).toEqual(unshipped);
    expect(central.received.map((event) => event.event_id)).toEqual(shipped);
    expect(restarted.status()).toMatchObject({ buffered_records: 0, shipper: { state: 'shipping', endpoint: restartedCentral.endpoint } });
  });
});
