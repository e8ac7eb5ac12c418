/**
 * Store and central end to end on the embedded profile: the store runs as its own process (as on a
 * shop's edge box), central in this process. What a store must survive from central's side: central
 * being away, and a buffer filling up while it is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSimulator, type AcceptedSale } from '@retail-sync/store';
import { freePort, readSeedCatalog, spawnStore, startCentralNode, storeStatus, waitForDrain, fileLogger, type CentralNode, type StoreProcess } from './lib/stack.ts';

const catalog = readSeedCatalog();
const STORE = catalog.stores[0]!;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(storeEnv: NodeJS.ProcessEnv = {}): Promise<{ dataDir: string; grpcPort: number; store: StoreProcess }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'rs-store-central-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const grpcPort = await freePort();
  const store = await spawnStore({
    storeId: STORE.store_id,
    dataDir,
    grpcEndpoints: `127.0.0.1:${grpcPort}`,
    logFile: join(dataDir, 'logs', 'store.log'),
    // central comes back within seconds here; the default 30 s backoff cap would make the test wait
    env: { RS_SHIP_BACKOFF_MAX_MS: '300', RS_SHIP_BREAKER_HALF_OPEN_MS: '300', ...storeEnv },
  });
  cleanups.push(() => store.stop('SIGTERM'));
  return { dataDir, grpcPort, store };
}

async function startCentralOn(dataDir: string, grpcPort: number): Promise<CentralNode> {
  const node = await startCentralNode({
    dataDir,
    grpcPort,
    dagTickCron: '0 0 1 1 *',
    logger: fileLogger(join(dataDir, 'logs', 'central.log')),
    env: { RS_PROFILE: 'embedded' },
  });
  cleanups.push(() => node.close());
  return node;
}

/** Every accepted event_id is stored once, and reconciliation over the store's whole log finds no gap or double. */
async function expectEachStoredOnce(node: CentralNode, store: StoreProcess, accepted: AcceptedSale[]): Promise<void> {
  const status = await storeStatus(store);
  const stored = await node.central.orderStore.seqsForStore(STORE.store_id, 1, status.last_seq);
  const storedIds = stored.map((row) => row.event_id);
  expect(new Set(storedIds).size).toBe(storedIds.length);
  expect(accepted.filter((sale) => !storedIds.includes(sale.event_id))).toEqual([]);
  const report = await node.dags.reconcile([{ store_id: STORE.store_id, acked_high_water: status.last_seq }]);
  expect(report.totals).toMatchObject({ missing: 0, duplicated: 0, stored: status.last_seq });
}

describe('store ⇄ central', () => {
  it('keeps answering 202 while central is down, then drains its buffer to central once it is back, losing nothing', async () => {
    const { dataDir, grpcPort, store } = await setup();
    const run = await runSimulator({ stores: [{ ...STORE, url: store.url }], events: 300, badRate: 0, retryRate: 0.05, catalog, seed: 7, maxAttempts: 3 });
    const accepted = run.stores[0]!.accepted;
    expect(run.stores[0]!.counts).toMatchObject({ unconfirmed: 0, rejected: 0 });
    expect(accepted).toHaveLength(300);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const waiting = await storeStatus(store);
    expect(waiting).toMatchObject({ last_seq: 300, acked_seq: 0, buffered_records: 300 });
    expect(['connecting', 'backing_off']).toContain(waiting.shipper.state);

    const node = await startCentralOn(dataDir, grpcPort);
    expect(await waitForDrain([store], node.central, 30_000)).toBe(true);
    expect(await storeStatus(store)).toMatchObject({ acked_seq: 300, shipper: { state: 'shipping' } });
    await expectEachStoredOnce(node, store, accepted);
  }, 120_000);

  it('answers 503 + Retry-After when its buffer is full, loses nothing it accepted, and takes sales again once central drained it', async () => {
    const { dataDir, grpcPort, store } = await setup({ RS_BUFFER_SEGMENT_BYTES: String(64 * 1024), RS_BUFFER_MAX_BYTES: String(256 * 1024) });
    const statuses: number[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      statuses.push(response.status);
      if (response.status !== 503) return response;
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      await response.body?.cancel();
      // as a network failure the simulator gives the request up at once instead of honouring Retry-After
      throw new Error('buffer full (503)');
    };
    // one attempt per request: a refused request stays refused, so "accepted" is exactly what got a 202
    const run = await runSimulator({ stores: [{ ...STORE, url: store.url }], events: 1_200, badRate: 0, retryRate: 0, catalog, seed: 11, maxAttempts: 1, fetch: recordingFetch });
    const { accepted, counts } = run.stores[0]!;
    expect(statuses).toContain(503);
    expect(counts.unconfirmed).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(100);
    const full = await storeStatus(store);
    expect(full.last_seq).toBe(accepted.length);

    const node = await startCentralOn(dataDir, grpcPort);
    expect(await waitForDrain([store], node.central, 30_000)).toBe(true);
    await expectEachStoredOnce(node, store, accepted);

    const after = await runSimulator({ stores: [{ ...STORE, url: store.url }], events: 50, badRate: 0, retryRate: 0, catalog, seed: 12, runTag: 'after', maxAttempts: 3 });
    expect(after.stores[0]!.counts).toMatchObject({ accepted: 50, unconfirmed: 0 });
  }, 120_000);
});
